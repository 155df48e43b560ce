import { Controller, Get, Module } from '@nestjs/common'
import { CircuitBreakerRegistry } from '@tripswitch/core'
import { FakeClock } from '@tripswitch/core/testing'
import { describe, expect, it } from 'vitest'
import { CircuitBreaker, TripswitchModule } from '../src/index.ts'
import { boot, caller, PLATFORMS, statuses } from './helpers.ts'

/** An error the handlers treat as "the partner has no such offer", not as an outage. */
class OfferMissing extends Error {}

@Controller('filters')
class FiltersController {
  @Get('ignored')
  @CircuitBreaker({ errorThreshold: 1, ignoreErrors: [OfferMissing] })
  ignored(): never {
    throw new OfferMissing('no offer')
  }

  @Get('unrecorded')
  @CircuitBreaker({ errorThreshold: 1, recordErrors: [RangeError] })
  unrecorded(): never {
    throw new TypeError('not recorded')
  }

  @Get('not-failure')
  @CircuitBreaker({ errorThreshold: 1, isFailure: (error) => !(error instanceof OfferMissing) })
  notFailure(): never {
    throw new OfferMissing('no offer')
  }

  @Get('counted')
  @CircuitBreaker({ errorThreshold: 1, ignoreErrors: [OfferMissing] })
  counted(): never {
    throw new Error('outage')
  }
}

@Module({
  imports: [TripswitchModule.forRoot({ clock: new FakeClock(0) })],
  controllers: [FiltersController],
})
class FiltersModule {}

describe.each(PLATFORMS)('error filters on %s', (_name, platform) => {
  it('a thrown error passes ignoreErrors, recordErrors and isFailure as in execute()', async () => {
    const context = await boot(FiltersModule)
    const registry = context.get(CircuitBreakerRegistry)
    // As in execute(): ignoreErrors leaves an error uncounted; an error recordErrors does not
    // list, or isFailure rejects, is a success (the dependency answered).
    const counts = { ignored: 0, unrecorded: 3, notFailure: 3 }
    for (const [handler, successes] of Object.entries(counts)) {
      const call = caller(context, FiltersController, handler as keyof typeof counts, platform)
      expect(await statuses(call, 3)).toEqual([500, 500, 500])
      const snapshot = registry.get(`FiltersController.${handler}`).snapshot()
      expect(snapshot).toMatchObject({ state: 'closed', failures: 0, successes })
    }
    const counted = caller(context, FiltersController, 'counted', platform)
    expect(await statuses(counted, 2)).toEqual([500, 503])
    await context.close()
  })
})
