import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  Controller,
  Get,
  InternalServerErrorException,
  type LoggerService,
  Module,
  type Type,
} from '@nestjs/common'
import { ExternalContextCreator, ModulesContainer, NestFactory } from '@nestjs/core'
import { attachCircuitBreaker } from '@tripswitch/axios'
import { CircuitBreakerRegistry, defaultRegistry } from '@tripswitch/core'
import { FakeClock } from '@tripswitch/core/testing'
import axios from 'axios'
import { afterEach, describe, expect, it } from 'vitest'
import {
  CircuitBreaker,
  CircuitBreakerContextError,
  CircuitBreakerHealthIndicator,
  SkipCircuitBreaker,
  TripswitchModule,
  type TripswitchModuleOptions,
} from '../src/index.ts'
import { boot, caller, PLATFORMS, statuses } from './helpers.ts'

const calls = { guarded: 0, skipped: 0 }

@Controller('offer')
@CircuitBreaker({ errorThreshold: 1, recoveryTimeout: 5_000 })
class OfferController {
  @Get()
  offer(): never {
    calls.guarded++
    throw new InternalServerErrorException('upstream down')
  }

  @Get('health')
  @SkipCircuitBreaker()
  health(): never {
    calls.skipped++
    throw new InternalServerErrorException('also down, but never counted')
  }
}

function appModule(options: TripswitchModuleOptions): Type {
  @Module({ imports: [TripswitchModule.forRoot(options)], controllers: [OfferController] })
  class AppModule {}
  return AppModule
}

const cleanup: Array<() => unknown> = []
afterEach(async () => {
  for (const done of cleanup.splice(0)) await done()
  calls.guarded = 0
  calls.skipped = 0
})

describe('the default registry', () => {
  it('is the module’s registry without registry options, and the health indicator sees what axios opened', async () => {
    const server = createServer((_req, res) => {
      res.statusCode = 503
      res.end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    cleanup.push(() => defaultRegistry().delete(origin))

    const context = await boot(appModule({}))
    expect(context.get(CircuitBreakerRegistry)).toBe(defaultRegistry())
    const indicator = context.get(CircuitBreakerHealthIndicator)
    expect((await indicator.isHealthy()).circuits.open).not.toContain(origin)

    const http = axios.create()
    attachCircuitBreaker(http, { errorThreshold: 1 })
    await expect(http.get(`${origin}/quote`)).rejects.toMatchObject({ response: { status: 503 } })
    const health = await indicator.isHealthy()
    expect(health.circuits.status).toBe('down')
    expect(health.circuits.open).toContain(origin)
  })

  it('is not used when the module configures a registry', async () => {
    const context = await boot(appModule({ clock: new FakeClock() }))
    expect(context.get(CircuitBreakerRegistry)).not.toBe(defaultRegistry())
  })
})

describe.each(PLATFORMS)('@SkipCircuitBreaker() on %s', (_name, platform) => {
  it('leaves one handler of a guarded controller unguarded and uncounted', async () => {
    const context = await boot(appModule({ clock: new FakeClock() }))
    const registry = context.get(CircuitBreakerRegistry)
    const skipped = caller(context, OfferController, 'health', platform)
    expect(await statuses(skipped, 3)).toEqual([500, 500, 500])
    expect(calls.skipped).toBe(3)
    expect(registry.has('OfferController.health')).toBe(false)
    expect(registry.size).toBe(0)

    const guarded = caller(context, OfferController, 'offer', platform)
    expect(await statuses(guarded, 2)).toEqual([500, 503])
    expect(calls.guarded).toBe(1)
    expect(await statuses(skipped, 1)).toEqual([500])
    expect(calls.skipped).toBe(4)
  })
})

describe('@SkipCircuitBreaker() with @CircuitBreaker() on one handler', () => {
  it('fails the boot, naming the handler', async () => {
    @Controller()
    class Confused {
      @Get()
      @CircuitBreaker({ errorThreshold: 2 })
      @SkipCircuitBreaker()
      both() {
        return 'ok'
      }
    }
    @Module({
      imports: [TripswitchModule.forRoot({ clock: new FakeClock() })],
      controllers: [Confused],
    })
    class AppModule {}
    await expect(boot(AppModule)).rejects.toMatchObject({
      code: 'ERR_CIRCUIT_OPTIONS',
      message: expect.stringContaining('Confused.both'),
    })
  })
})

describe('outside HTTP', () => {
  it.each(['rpc', 'ws', 'graphql'])(
    'refuses a %s call with CircuitBreakerContextError, without running the handler',
    async (type) => {
      const context = await boot(appModule({ clock: new FakeClock() }))
      const instance = context.get(OfferController)
      // As helpers.ts's caller(), with the context type of a non-HTTP transport.
      const moduleKey = [...context.get(ModulesContainer).entries()].find(([, module]) =>
        module.controllers.has(OfferController),
      )?.[0]
      const creator = context.get(ExternalContextCreator)
      const run = Object.assign(Object.create(creator) as ExternalContextCreator, {
        getContextModuleKey: () => moduleKey ?? '',
      }).create(
        instance,
        instance.offer as () => unknown,
        'offer',
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        type,
      )
      const error = await run({}, {}).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(CircuitBreakerContextError)
      expect(error).toMatchObject({
        code: 'ERR_CIRCUIT_CONTEXT',
        circuit: 'OfferController.offer',
        contextType: type,
        message: expect.stringContaining(`"${type}"`),
      })
      expect(calls.guarded).toBe(0)
    },
  )
})

describe('transition logging', () => {
  /** Boots with a logger that records what reaches it from the `Tripswitch` context. */
  async function logged(options: TripswitchModuleOptions) {
    const lines: Array<[level: string, message: string]> = []
    const record =
      (level: string) =>
      (message: unknown, ...rest: unknown[]): void => {
        if (rest.at(-1) === 'Tripswitch') lines.push([level, String(message)])
      }
    const logger: LoggerService = {
      log: record('log'),
      warn: record('warn'),
      error: record('error'),
      debug: record('debug'),
      verbose: record('verbose'),
    }
    const context = await NestFactory.createApplicationContext(appModule(options), {
      logger,
      abortOnError: false,
    })
    cleanup.push(() => context.close())
    return { context, lines }
  }

  it("logs open at warn, half-open and close at log, through Nest's Logger", async () => {
    const clock = new FakeClock(1_000)
    const { context, lines } = await logged({ clock })
    const [, platform] = PLATFORMS[0]!
    const guarded = caller(context, OfferController, 'offer', platform)
    expect(await statuses(guarded, 1)).toEqual([500])
    expect(lines).toEqual([
      ['warn', 'Circuit "OfferController.offer" open (threshold); probe in 5000 ms'],
    ])
    clock.advance(5_000)
    const breaker = context.get(CircuitBreakerRegistry).get('OfferController.offer')
    const permit = await breaker.acquire()
    permit.success()
    expect(lines.slice(1)).toEqual([
      ['log', 'Circuit "OfferController.offer" half-open'],
      ['log', 'Circuit "OfferController.offer" closed'],
    ])
    await context.close()
    breaker.forceOpen()
    expect(lines).toHaveLength(3)
  })

  it('logs nothing with logTransitions: false', async () => {
    const { context, lines } = await logged({ clock: new FakeClock(), logTransitions: false })
    const guarded = caller(context, OfferController, 'offer', PLATFORMS[0]![1])
    expect(await statuses(guarded, 2)).toEqual([500, 503])
    expect(lines).toEqual([])
  })

  it.each([1, 'no', null])('fails the boot on logTransitions: %j', async (value) => {
    const options = { logTransitions: value } as unknown as TripswitchModuleOptions
    await expect(boot(appModule(options))).rejects.toMatchObject({ option: 'logTransitions' })
  })
})
