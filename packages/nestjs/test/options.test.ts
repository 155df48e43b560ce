import { Controller, Get, InternalServerErrorException, Module } from '@nestjs/common'
import { CircuitBreakerRegistry } from '@tripswitch/core'
import { FakeClock } from '@tripswitch/core/testing'
import { describe, expect, it } from 'vitest'
import { createRegistry } from '../src/circuit-breaker.module.ts'
import { routeOf } from '../src/circuit-breaker.route.ts'
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

describe('only own properties are options', () => {
  const smuggling = () =>
    JSON.parse('{"__proto__": {"errorThreshold": 0, "name": ""}}') as Record<string, never>

  function thrownBy(run: () => unknown): { option?: unknown; code?: unknown } {
    try {
      run()
    } catch (error) {
      return error as { option?: unknown; code?: unknown }
    }
    throw new Error('expected a throw')
  }

  it('refuses an own __proto__ key in @CircuitBreaker() and in the module options', () => {
    const decorated = thrownBy(() => (CircuitBreaker(smuggling()) as ClassDecorator)(class {}))
    expect(decorated).toMatchObject({ code: 'ERR_CIRCUIT_OPTIONS', option: '__proto__' })
    const module = thrownBy(() => createRegistry(smuggling()))
    expect(module).toMatchObject({ code: 'ERR_CIRCUIT_OPTIONS', option: '__proto__' })
    const defaults = thrownBy(() => createRegistry({ defaults: smuggling() }))
    expect(defaults).toMatchObject({ code: 'ERR_CIRCUIT_OPTIONS', option: 'defaults.__proto__' })
  })

  it('merges class and handler options without reading Object.prototype', () => {
    const polluted = Object.prototype as Record<string, unknown>
    const planted = { name: 'smuggled', fallback: () => 'planted', detectError: () => true }
    let route: ReturnType<typeof routeOf>
    try {
      Object.assign(polluted, planted)
      route = routeOf({ name: 'C' }, { name: 'h' }, { errorThreshold: 2 }, { recoveryTimeout: 5 })
    } finally {
      for (const key of Object.keys(planted)) delete polluted[key]
    }
    expect(route?.name).toBe('C.h')
    expect(route?.fallback).toBeUndefined()
    expect(route?.detectError).toBeUndefined()
    expect({ ...route?.breakerOptions }).toEqual({ errorThreshold: 2, recoveryTimeout: 5 })
  })

  it('never takes a value set on Object.prototype for a decorator or module option', async () => {
    const polluted = Object.prototype as Record<string, unknown>
    const planted = { name: 'smuggled', fallback: () => 'planted', registry: {} }
    let Polluted: new () => { go(): never }
    let registry: CircuitBreakerRegistry
    try {
      Object.assign(polluted, planted)
      @Controller('p')
      class PollutedController {
        @Get()
        @CircuitBreaker({ errorThreshold: 1 })
        go(): never {
          return fail()
        }
      }
      Polluted = PollutedController
      // Would fail (a registry that is not one) if `registry` were read through the prototype.
      registry = createRegistry({ clock: new FakeClock() })
    } finally {
      for (const key of Object.keys(planted)) delete polluted[key]
    }
    @Module({ imports: [TripswitchModule.forRoot({ registry })], controllers: [Polluted] })
    class PollutedModule {}
    const context = await boot(PollutedModule)
    const go = caller(context, Polluted, 'go', PLATFORMS[0]![1])
    // The planted fallback would answer 200 'planted' instead of the 503.
    expect(await statuses(go, 2)).toEqual([500, 503])
    expect(registry.has('PollutedController.go')).toBe(true)
    expect(registry.has('smuggled')).toBe(false)
  })
})
