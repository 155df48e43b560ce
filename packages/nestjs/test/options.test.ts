import { Controller, Get, InternalServerErrorException, Module } from '@nestjs/common'
import { CircuitBreakerRegistry } from '@tripswitch/core'
import { FakeClock } from '@tripswitch/core/testing'
import { describe, expect, it } from 'vitest'
import { CircuitBreaker, TripswitchModule } from '../src/index.ts'
import { boot, caller, PLATFORMS, statuses } from './helpers.ts'

const fail = (): never => {
  throw new InternalServerErrorException()
}

@CircuitBreaker({ errorThreshold: 3, recoveryTimeout: 2_000 })
@Controller('a')
class ClassLevelController {
  @Get('one')
  one() {
    return fail()
  }

  @Get('two')
  two() {
    return fail()
  }

  @Get('strict')
  @CircuitBreaker({ errorThreshold: 1 })
  strict() {
    return fail()
  }
}

@CircuitBreaker({ name: 'shared', errorThreshold: 2 })
@Controller('b')
class SharedController {
  @Get('one')
  one() {
    return fail()
  }

  @Get('two')
  two() {
    return fail()
  }

  @Get('own')
  @CircuitBreaker({ name: 'own' })
  own() {
    return fail()
  }
}

async function app() {
  @Module({
    imports: [
      TripswitchModule.forRoot({ clock: new FakeClock(), defaults: { recoveryTimeout: 9_000 } }),
    ],
    controllers: [ClassLevelController, SharedController],
  })
  class AppModule {}
  const context = await boot(AppModule)
  return { context, registry: context.get(CircuitBreakerRegistry) }
}

describe.each(PLATFORMS)('class and handler options on %s', (_name, platform) => {
  it('gives each handler of a decorated class its own breaker with the class options', async () => {
    const { context, registry } = await app()
    const one = caller(context, ClassLevelController, 'one', platform)
    const two = caller(context, ClassLevelController, 'two', platform)
    expect(await statuses(one, 4)).toEqual([500, 500, 500, 503])
    expect((await one()).headers['retry-after']).toBe('2')
    expect(registry.get('ClassLevelController.two').state).toBe('closed')
    expect(await statuses(two, 1)).toEqual([500])
  })

  it('lets handler options override class options', async () => {
    const { context, registry } = await app()
    const strict = caller(context, ClassLevelController, 'strict', platform)
    expect(await statuses(strict, 2)).toEqual([500, 503])
    const breaker = registry.get('ClassLevelController.strict')
    expect(breaker.settings.errorThreshold).toBe(1)
    expect(breaker.settings.recoveryTimeout).toBe(2_000)
  })

  it('shares one breaker across the handlers of a class given a name', async () => {
    const { context, registry } = await app()
    const one = caller(context, SharedController, 'one', platform)
    const two = caller(context, SharedController, 'two', platform)
    const own = caller(context, SharedController, 'own', platform)
    expect(await statuses(one, 1)).toEqual([500])
    expect(await statuses(two, 2)).toEqual([500, 503])
    expect((await one()).body).toMatchObject({ circuit: 'shared' })
    expect(await statuses(own, 3)).toEqual([500, 500, 503])
    expect(registry.get('own').settings.recoveryTimeout).toBe(9_000)
  })
})
