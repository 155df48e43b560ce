import { CircuitBreakerRegistry, InvalidOptionsError } from '@tripswitch/core'
import axios from 'axios'
import { describe, expect, it } from 'vitest'
import { type AttachOptions, attachCircuitBreaker } from '../src/index.ts'
import { parseOptions, parseRequestOptions } from '../src/parse-options.ts'
import { rejection, setup, upstream } from './helpers.ts'

/** What `build` threw, as an InvalidOptionsError naming `option` and carrying `value`. */
function expectInvalid(thrown: unknown, option: string, value: unknown): void {
  expect(thrown).toBeInstanceOf(InvalidOptionsError)
  const error = thrown as InvalidOptionsError
  expect(error.code).toBe('ERR_CIRCUIT_OPTIONS')
  expect(error.option).toBe(option)
  expect(Object.is(error.value, value)).toBe(true)
  expect(error.message).toContain(option)
}

function thrownBy(build: () => unknown): unknown {
  try {
    build()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

// Options a caller without types could pass.
const attach = (options: Record<string, unknown>) => () =>
  attachCircuitBreaker(axios.create(), options as unknown as AttachOptions)

describe('invalid options, rejected at attach time', () => {
  const { registry, clock } = setup()

  it.each([
    ['key', 'path'],
    ['acceptClientErrors', 'yes'],
    ['honorRetryAfter', 1],
    ['detectError', true],
    ['errorThreshold', 0],
    ['recoveryTimeout', -1],
    ['halfOpenMaxCalls', Number.NaN],
    ['errorThresold', 3],
    ['windowSize', 10],
    ['timeout', 1_000],
    ['fallback', () => 1],
    ['isFailure', () => true],
    ['ignoreErrors', []],
    ['recordErrors', [Error]],
    ['name', 'x'],
    ['store', {}],
    ['clock', clock],
  ])('rejects %s = %s, naming it', (option, value) => {
    expectInvalid(thrownBy(attach({ registry, [option]: value })), option, value)
    expectInvalid(thrownBy(attach({ [option]: value })), option, value)
  })

  it('rejects options that are not an object, and a registry that is not one', () => {
    expectInvalid(thrownBy(attach(null as unknown as Record<string, unknown>)), 'options', null)
    const fake = { get: () => undefined }
    expectInvalid(thrownBy(attach({ registry: fake })), 'registry', fake)
  })

  it('checks breaker options over the registry defaults', () => {
    const rated = new CircuitBreakerRegistry({ defaults: { strategy: 'rate' } })
    expectInvalid(thrownBy(attach({ registry: rated, errorThreshold: 3 })), 'errorThreshold', 3)
    expect(attach({ registry: rated, windowSize: 20 })).not.toThrow()
  })

  it('installs nothing when the options are invalid', () => {
    const http = axios.create()
    expect(() => attachCircuitBreaker(http, { errorThreshold: -1 })).toThrow(InvalidOptionsError)
    expect(http.interceptors.request.handlers ?? []).toEqual([])
  })
})

describe('invalid per-request options and keys, rejected before sending', () => {
  it.each([
    [{ errorThreshold: 0 }, 'circuitBreaker.errorThreshold', 0],
    [{ key: '' }, 'circuitBreaker.key', ''],
    [{ acceptClientErrors: 'no' }, 'circuitBreaker.acceptClientErrors', 'no'],
    [{ timeout: 5 }, 'circuitBreaker.timeout', 5],
    ['off', 'circuitBreaker', 'off'],
  ])('rejects circuitBreaker: %o', async (circuitBreaker, option, value) => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry })
    const config = { circuitBreaker } as unknown as Parameters<typeof http.get>[1]
    expectInvalid(await rejection(http.get(`${up.base}/ok`, config)), option, value)
    expect(up.count).toBe(0)
  })

  it('rejects a key function answer that is not a non-empty string', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry, key: () => '' })
    expectInvalid(await rejection(http.get(`${up.base}/ok`)), 'key', '')
    expect(up.count).toBe(0)
  })
})

describe('option types', () => {
  it('refuses execute()-only options and non-HTTP detectError at compile time', () => {
    const http = axios.create()
    // The directives fail `tsc` if these lines ever type-check; the calls still throw at runtime.
    // @ts-expect-error use axios's timeout
    expect(() => attachCircuitBreaker(http, { timeout: 100 })).toThrow(InvalidOptionsError)
    // @ts-expect-error the registry owns the clock
    expect(() => attachCircuitBreaker(http, { clock: setup().clock })).toThrow(InvalidOptionsError)
    // @ts-expect-error a key mode is 'origin' or 'host'
    expect(() => attachCircuitBreaker(http, { key: 'path' })).toThrow(InvalidOptionsError)
    // @ts-expect-error circuitBreaker is false or an object
    void http.get('http://127.0.0.1:1/', { circuitBreaker: true }).catch(() => undefined)
    // @ts-expect-error a per-request key is a string
    void http.get('http://127.0.0.1:1/', { circuitBreaker: { key: () => 'k' } }).catch(() => {})
  })
})

describe('only own properties are options', () => {
  const smuggling = () =>
    JSON.parse('{"__proto__": {"acceptClientErrors": false, "errorThreshold": 0}}') as Record<
      string,
      unknown
    >

  it('refuses an own __proto__ key at attach time and in circuitBreaker request options', () => {
    const { registry } = setup()
    const error = thrownBy(attach({ registry, ...smuggling() }))
    expect(error).toMatchObject({ code: 'ERR_CIRCUIT_OPTIONS', option: '__proto__' })
    // axios's own config merge may drop the key first; the adapter refuses it regardless.
    const parsed = parseOptions({ registry })
    const request = thrownBy(() => parseRequestOptions(smuggling(), parsed))
    expect(request).toMatchObject({
      code: 'ERR_CIRCUIT_OPTIONS',
      option: 'circuitBreaker.__proto__',
    })
  })

  it('never takes a value set on Object.prototype for an attach or request option', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    const polluted = Object.prototype as Record<string, unknown>
    const planted = { acceptClientErrors: false, key: 'host', registry: {} }
    try {
      Object.assign(polluted, planted)
      // Would throw (a registry that is not one) if `registry` were read through the prototype.
      attachCircuitBreaker(http, { registry, errorThreshold: 1 })
    } finally {
      for (const key of Object.keys(planted)) delete polluted[key]
    }
    // A 404 is a success (acceptClientErrors defaults to true), on the origin key.
    await rejection(http.get(`${up.base}/status/404`))
    expect(registry.get(up.base).snapshot()).toMatchObject({ successes: 1, failures: 0 })
    // `circuitBreaker: false` set on Object.prototype does not opt requests out.
    try {
      polluted.circuitBreaker = false
      await rejection(http.get(`${up.base}/status/500`))
    } finally {
      delete polluted.circuitBreaker
    }
    expect(registry.get(up.base).snapshot()).toMatchObject({ failures: 1, state: 'open' })
  })
})
