import { CircuitBreakerRegistry, isInvalidOptionsError } from '@tripswitch/core'
import { Agent, request } from 'undici'
import { describe, expect, it } from 'vitest'
import { defaultRegistry, type KeyFunction, withCircuitBreaker } from '../src/index.ts'
import { circuitBreaker, defaultRegistry as undiciDefault } from '../src/undici.ts'
import { rejection, send, setup, upstream } from './helpers.ts'

// Options are checked at creation (InvalidOptionsError naming the option); per-request ones
// reject the request before anything is sent. Only own properties are options.

function invalid(create: () => unknown): { option: string; rule: string } {
  try {
    create()
  } catch (error) {
    if (isInvalidOptionsError(error)) return { option: error.option, rule: error.rule }
    throw error
  }
  throw new Error('expected an InvalidOptionsError')
}

const BAD: ReadonlyArray<readonly [string, Record<string, unknown>, string]> = [
  ['a NaN timeout', { timeout: Number.NaN }, 'timeout'],
  ['a negative timeout', { timeout: -1 }, 'timeout'],
  ['a fractional timeout', { timeout: 1.5 }, 'timeout'],
  ['an empty key', { key: '' }, 'key'],
  ['a huge key', { key: 'k'.repeat(100_000) }, 'key'],
  ['a numeric key', { key: 42 }, 'key'],
  ['a non-boolean acceptClientErrors', { acceptClientErrors: 'no' }, 'acceptClientErrors'],
  ['a non-boolean honorRetryAfter', { honorRetryAfter: null }, 'honorRetryAfter'],
  ['a non-function detectError', { detectError: true }, 'detectError'],
  ['a non-function onCircuitOpen', { onCircuitOpen: {} }, 'onCircuitOpen'],
  ['a non-registry registry', { registry: {} }, 'registry'],
  ['a core option out of range', { errorThreshold: 0 }, 'errorThreshold'],
  ['an unknown option', { errorTreshold: 3 }, 'errorTreshold'],
  ['fallback (refused)', { fallback: () => undefined }, 'fallback'],
  ['isFailure (refused)', { isFailure: () => true }, 'isFailure'],
  ['name (refused)', { name: 'x' }, 'name'],
  ['store (refused)', { store: {} }, 'store'],
]

describe('withCircuitBreaker options', () => {
  it.each(BAD)('refuses %s, naming it', (_what, options, option) => {
    expect(invalid(() => withCircuitBreaker(fetch, options)).option).toBe(option)
  })

  it('refuses a fetch that is not a function, and options that are not an object', () => {
    expect(invalid(() => withCircuitBreaker(null as unknown as typeof fetch)).option).toBe('fetch')
    expect(invalid(() => withCircuitBreaker(fetch, 'x' as unknown as object)).option).toBe(
      'options',
    )
  })

  it('refuses an own __proto__ key, as JSON.parse makes it', () => {
    const options = JSON.parse('{"__proto__": {"errorThreshold": 0}, "errorThreshold": 2}')
    expect(invalid(() => withCircuitBreaker(fetch, options)).option).toBe('__proto__')
  })

  it('reads nothing from Object.prototype', async () => {
    const up = await upstream()
    const { registry } = setup()
    const proto = Object.prototype as Record<string, unknown>
    proto.circuitBreaker = false
    proto.key = 'polluted'
    try {
      const guarded = withCircuitBreaker(fetch, { registry })
      await send(guarded, `${up.base}/ok`, 1)
      expect(registry.list().map((b) => b.name)).toEqual([up.base])
    } finally {
      delete proto.circuitBreaker
      delete proto.key
    }
  })

  it('checks core options over the registry defaults', () => {
    const registry = new CircuitBreakerRegistry({ defaults: { strategy: 'rate' } })
    expect(invalid(() => withCircuitBreaker(fetch, { registry, errorThreshold: 3 })).option).toBe(
      'errorThreshold',
    )
  })
})

const BAD_KEYS: ReadonlyArray<readonly [string, unknown]> = [
  ['undefined', undefined],
  ['a number', 42],
  ['an empty string', ''],
  ['a 100,000-character string', 'k'.repeat(100_000)],
]

describe('a key that gives no usable string', () => {
  it.each(BAD_KEYS)(
    'from a function giving %s, rejects before sending anything',
    async (_, bad) => {
      const up = await upstream()
      const { registry } = setup()
      const key = (() => bad) as unknown as KeyFunction
      const guarded = withCircuitBreaker(fetch, { registry, key })
      const error = (await rejection(guarded(`${up.base}/ok`))) as { message: string }
      expect(error).toMatchObject({ code: 'ERR_CIRCUIT_OPTIONS', option: 'key' })
      expect(error.message.length).toBeLessThan(250)
      expect(up.count).toBe(0)
      expect(registry.size).toBe(0)
    },
  )

  it('from a relative URL (no origin), rejects with InvalidOptionsError naming key', async () => {
    const { registry } = setup()
    const guarded = withCircuitBreaker(fetch, { registry })
    expect(await rejection(guarded('/relative'))).toMatchObject({
      code: 'ERR_CIRCUIT_OPTIONS',
      option: 'key',
    })
    expect(registry.size).toBe(0)
  })
})

describe('per-request options (init.circuitBreaker)', () => {
  it('false sends the request unguarded and uncounted, even to an open circuit', async () => {
    const up = await upstream()
    const { registry } = setup()
    const guarded = withCircuitBreaker(fetch, { registry, errorThreshold: 1 })
    await send(guarded, `${up.base}/status/500`, 1)
    const response = await guarded(`${up.base}/ok`, { circuitBreaker: false })
    expect(response.status).toBe(200)
    expect(registry.get(up.base).snapshot().totals.calls).toBe(1)
  })

  it('an object sets this request key, rules and new-breaker options', async () => {
    const up = await upstream()
    const { registry } = setup()
    const guarded = withCircuitBreaker(fetch, { registry })
    const circuitBreaker = { key: 'payments', acceptClientErrors: false, errorThreshold: 1 }
    await guarded(`${up.base}/status/404`, { method: 'POST', circuitBreaker })
    expect(registry.get('payments').state).toBe('open')
    expect(registry.has(up.base)).toBe(false)
  })

  it('invalid ones reject the request before anything is sent, naming circuitBreaker.<option>', async () => {
    const up = await upstream()
    const { registry } = setup()
    const guarded = withCircuitBreaker(fetch, { registry })
    const cases: Array<[unknown, string]> = [
      [{ timeout: 0 }, 'circuitBreaker.timeout'],
      [{ key: '' }, 'circuitBreaker.key'],
      [{ errorThreshold: -1 }, 'circuitBreaker.errorThreshold'],
      [{ clock: {} }, 'circuitBreaker.clock'],
      [JSON.parse('{"__proto__": {}}'), 'circuitBreaker.__proto__'],
      ['yes', 'circuitBreaker'],
    ]
    for (const [circuitBreaker, option] of cases) {
      const init = { circuitBreaker } as unknown as RequestInit
      expect(await rejection(guarded(`${up.base}/ok`, init))).toMatchObject({ option })
    }
    expect(up.count).toBe(0)
  })
})

describe('interceptor options', () => {
  it.each([
    ['timeout', { timeout: 1_000 }],
    ['onCircuitOpen', { onCircuitOpen: () => undefined }],
    ['errorThreshold', { errorThreshold: Number.POSITIVE_INFINITY }],
  ])('refuses %s at creation', (option, options) => {
    expect(invalid(() => circuitBreaker(options as never)).option).toBe(option)
  })

  it('fails a request whose key is unusable, sending nothing', async () => {
    const up = await upstream()
    const { registry } = setup()
    const agent = new Agent().compose(
      circuitBreaker({ registry, key: (() => '') as unknown as KeyFunction }),
    )
    try {
      const error = await rejection(request(`${up.base}/ok`, { dispatcher: agent }))
      expect(error).toMatchObject({ code: 'ERR_CIRCUIT_OPTIONS', option: 'key' })
      expect(up.count).toBe(0)
    } finally {
      await agent.close()
    }
  })
})

describe('keys from request data', () => {
  it('stay within the registry bound (maxBreakers): idle closed breakers are evicted', async () => {
    const { registry } = setup({ maxBreakers: 2 })
    const evicted: string[] = []
    registry.on('evict', ({ name }) => evicted.push(name))
    const stand = async (_input: string, _init?: RequestInit) => new Response('ok')
    const guarded = withCircuitBreaker(stand, { registry })
    for (const host of ['a', 'b', 'c', 'd']) await guarded(`http://${host}.example/x`)
    expect(registry.size).toBe(2)
    expect(evicted).toEqual(['http://a.example', 'http://b.example'])
  })
})

describe('without a registry option', () => {
  it('keeps the breakers in the exported defaultRegistry, shared by the interceptor', async () => {
    const up = await upstream()
    try {
      await send(withCircuitBreaker(fetch), `${up.base}/ok`, 1)
      expect(defaultRegistry().get(up.base).snapshot().totals.successful).toBe(1)
      expect(undiciDefault()).toBe(defaultRegistry())
    } finally {
      defaultRegistry().delete(up.base)
    }
  })
})
