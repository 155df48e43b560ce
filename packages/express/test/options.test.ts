import { CircuitBreakerRegistry, InvalidOptionsError, MemoryStore } from '@tripswitch/core'
import express from 'express'
import { describe, expect, it } from 'vitest'
import {
  type CircuitBreakerMiddlewareOptions,
  circuitBreaker,
  circuitStatus,
} from '../src/index.ts'
import { fakeRegistry, serve } from './helpers.ts'

/** What `build` threw, as an InvalidOptionsError naming `option` and carrying `value`. */
function expectInvalid(build: () => unknown, option: string, value: unknown): void {
  let thrown: unknown
  try {
    build()
  } catch (error) {
    thrown = error
  }
  expect(thrown).toBeInstanceOf(InvalidOptionsError)
  const error = thrown as InvalidOptionsError
  expect(error.code).toBe('ERR_CIRCUIT_OPTIONS')
  expect(error.option).toBe(option)
  expect(Object.is(error.value, value)).toBe(true)
  expect(error.message).toContain(option)
}

// Options a caller without types could pass.
const untyped = (options: Record<string, unknown>) => () =>
  circuitBreaker(options as unknown as CircuitBreakerMiddlewareOptions)

describe('invalid options', () => {
  const { registry, clock } = fakeRegistry()

  it.each([
    ['key', 'route'],
    ['detectError', true],
    ['onCircuitOpen', 503],
    ['fallback', {}],
  ])('rejects a %s that is not a function', (option, value) => {
    expectInvalid(untyped({ [option]: value }), option, value)
  })

  it.each([
    ['errorThreshold', 0],
    ['recoveryTimeout', -1],
    ['timeout', 1.5],
    ['timeout', Number.POSITIVE_INFINITY],
    ['halfOpenMaxCalls', Number.NaN],
    ['errorThresold', 3],
    ['windowSize', 10],
  ])('lets core reject %s = %s at once, naming it', (option, value) => {
    expectInvalid(untyped({ [option]: value }), option, value)
  })

  it('rejects options that are not an object', () => {
    expectInvalid(untyped(null as unknown as Record<string, unknown>), 'options', null)
  })

  it('rejects name, store or clock next to a registry', () => {
    expectInvalid(untyped({ registry, name: 'x' }), 'name', 'x')
    expectInvalid(untyped({ registry, clock }), 'clock', clock)
    const store = new MemoryStore()
    expectInvalid(untyped({ registry, store }), 'store', store)
  })

  it('rejects both key and name, and both onCircuitOpen and fallback', () => {
    const key = () => 'k'
    expectInvalid(untyped({ name: 'n', key }), 'key', key)
    const answer = () => undefined
    expectInvalid(untyped({ onCircuitOpen: answer, fallback: answer }), 'fallback', answer)
  })

  it('rejects a registry that is not one, and a misspelt option next to a registry', () => {
    const fake = { get: 1 }
    expectInvalid(untyped({ registry: fake }), 'registry', fake)
    expectInvalid(untyped({ registry, recoverTimeout: 10 }), 'recoverTimeout', 10)
    const notRegistry = { health: 'up' }
    expectInvalid(() => circuitStatus(notRegistry as never), 'registry', notRegistry)
  })

  it('rejects a bad value given with a registry at startup, over the registry defaults', () => {
    expectInvalid(untyped({ registry, errorThreshold: -2 }), 'errorThreshold', -2)
    const rated = new CircuitBreakerRegistry({ defaults: { strategy: 'rate' } })
    expectInvalid(untyped({ registry: rated, errorThreshold: 3 }), 'errorThreshold', 3)
    expect(() => circuitBreaker({ registry: rated, windowSize: 20 })).not.toThrow()
  })
})

describe('option types', () => {
  it('refuses name, store and clock next to a registry at compile time', () => {
    const { registry, clock } = fakeRegistry()
    // The directives fail `tsc` if these lines ever type-check; the calls still throw at runtime.
    // @ts-expect-error name is not accepted with a registry
    expect(() => circuitBreaker({ registry, name: 'x' })).toThrow(InvalidOptionsError)
    // @ts-expect-error clock is not accepted with a registry
    expect(() => circuitBreaker({ registry, clock })).toThrow(InvalidOptionsError)
    const resultBased = (result: string) => result === ''
    // @ts-expect-error core's result-based detectError is replaced by the HTTP one
    expect(() => circuitBreaker({ registry, detectError: resultBased })).not.toThrow()
    expect(circuitBreaker({ clock, errorThreshold: 2, timeout: 1_000 }).registry).not.toBe(registry)
  })
})

describe('only own properties are options', () => {
  it('rejects an own __proto__ key (JSON.parse makes one) instead of reading through it', () => {
    const { registry } = fakeRegistry()
    const parsed = JSON.parse('{"__proto__": {"name": "smuggled", "errorThreshold": 0}}') as Record<
      string,
      unknown
    >
    const smuggled: unknown = Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value
    expect(smuggled).toEqual({ name: 'smuggled', errorThreshold: 0 })
    expectInvalid(untyped(parsed), '__proto__', smuggled)
    expectInvalid(untyped({ ...parsed, registry }), '__proto__', smuggled)
  })

  it('never takes a value set on Object.prototype for an option', async () => {
    const { registry } = fakeRegistry()
    const polluted = Object.prototype as Record<string, unknown>
    const planted = {
      name: 'smuggled',
      key: () => 'smuggled',
      onCircuitOpen: () => undefined,
      errorThreshold: 100,
    }
    let middleware: ReturnType<typeof circuitBreaker>
    try {
      Object.assign(polluted, planted)
      // Would throw (name next to a registry) if `name` were read through the prototype.
      middleware = circuitBreaker({ registry, errorThreshold: 1 })
    } finally {
      for (const key of Object.keys(planted)) delete polluted[key]
    }
    const app = express()
    app.get('/x', middleware, (_req, res) => {
      res.sendStatus(500)
    })
    const served = await serve(app)
    expect((await served.fetch('/x')).status).toBe(500)
    const refused = await served.fetch('/x')
    // The default answer (not the planted onCircuitOpen, which would leave it hanging).
    expect(refused.status).toBe(503)
    expect(refused.json).toMatchObject({ code: 'ERR_CIRCUIT_OPEN', circuit: 'GET /x' })
    expect(registry.has('smuggled')).toBe(false)
  })
})
