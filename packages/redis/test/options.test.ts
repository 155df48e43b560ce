import { hostname } from 'node:os'
import { CircuitBreaker, isInvalidOptionsError } from '@tripswitch/core'
import fc from 'fast-check'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { breakerId, RedisStore, type RedisStoreOptions } from '../src/index.ts'
import { keysOf } from '../src/keys.ts'

const client = new Redis({ lazyConnect: true, enableOfflineQueue: false })
afterAll(() => client.disconnect())

/** `text` as a literal inside a RegExp. */
const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

function invalid(options: Record<string, unknown>): string {
  try {
    new RedisStore({ client, ...options } as unknown as RedisStoreOptions).close()
  } catch (error) {
    expect(isInvalidOptionsError(error)).toBe(true)
    return (error as { option: string }).option
  }
  throw new Error('accepted')
}

describe('RedisStore options', () => {
  it.each([
    [{ client: undefined }, 'client'],
    [{ client: {} }, 'client'],
    [{ prefix: 'a{b}' }, 'prefix'],
    [{ prefix: 'x'.repeat(65) }, 'prefix'],
    [{ prefix: 7 }, 'prefix'],
    [{ syncInterval: 0 }, 'syncInterval'],
    [{ pollInterval: Number.NaN }, 'pollInterval'],
    [{ leaseMs: -1 }, 'leaseMs'],
    [{ commandTimeout: 1.5 }, 'commandTimeout'],
    [{ stateTtl: Number.POSITIVE_INFINITY }, 'stateTtl'],
    [{ quorum: 0 }, 'quorum'],
    [{ onStoreUnavailable: 'maybe' }, 'onStoreUnavailable'],
    [{ instanceId: 'a b' }, 'instanceId'],
    [{ instanceId: '' }, 'instanceId'],
    [{ instanceId: 'i'.repeat(201) }, 'instanceId'],
    [{ instanceId: 'pod\u0000' }, 'instanceId'],
    [{ instanceId: 'pod\u200b' }, 'instanceId'],
    [{ instanceId: 'pod-\ud800' }, 'instanceId'],
    [{ instanceId: 7 }, 'instanceId'],
    [{ fleetTtlMs: 0 }, 'fleetTtlMs'],
    [{ fleetTtlMs: Number.NaN }, 'fleetTtlMs'],
    [{ fleetTtlMs: 1.5 }, 'fleetTtlMs'],
    [{ fleetTtlMs: '30000' }, 'fleetTtlMs'],
    [{ fleetTtlMs: 5_999 }, 'fleetTtlMs'],
    [{ pollInterval: 100, fleetTtlMs: 299 }, 'fleetTtlMs'],
    [{ testing: 'yes' }, 'testing'],
    [{ sendCommand: () => {} }, 'sendCommand'],
  ])('rejects %j', (options, option) => {
    expect(invalid(options)).toBe(option)
  })

  it.each([
    'client',
    'prefix',
    'syncInterval',
    'pollInterval',
    'leaseMs',
    'commandTimeout',
    'onStoreUnavailable',
    'quorum',
    'stateTtl',
    'instanceId',
    'fleetTtlMs',
    'testing',
  ])('rejects null as %s (null is not "use the default")', (option) => {
    expect(invalid({ [option]: null })).toBe(option)
  })

  it.each([null, undefined, 'redis://x', [], 7])('rejects %j as the options object', (options) => {
    expect(() => new RedisStore(options as unknown as RedisStoreOptions)).toThrow(
      expect.objectContaining({ code: 'ERR_CIRCUIT_OPTIONS', option: 'options' }),
    )
  })

  it.each([
    ['prefix', { prefix: `${'p'.repeat(99_999)}{` }],
    ['instanceId', { instanceId: ' '.repeat(100_000) }],
    ['onStoreUnavailable', { onStoreUnavailable: 'o'.repeat(100_000) }],
    ['testing', { testing: 't'.repeat(100_000) }],
    ['client', { client: 'c'.repeat(100_000) }],
    ['k'.repeat(100), { ['k'.repeat(100_000)]: 'v'.repeat(100_000) }],
  ])('quotes at most about 100 characters of a bad %s in the message', (option, options) => {
    let error: unknown
    try {
      new RedisStore({ client, ...options } as unknown as RedisStoreOptions).close()
    } catch (e) {
      error = e
    }
    expect(isInvalidOptionsError(error)).toBe(true)
    const { message, option: named } = error as { message: string; option: string }
    expect(named.startsWith(option)).toBe(true)
    expect(message.length).toBeLessThan(400)
  })

  it('rejects a lease no longer than the call timeout of a breaker using the store', () => {
    const store = new RedisStore({ client, leaseMs: 5_000 })
    try {
      expect(() => new CircuitBreaker({ name: 'slow', timeout: 5_000, store })).toThrow(
        expect.objectContaining({ code: 'ERR_CIRCUIT_OPTIONS', option: 'leaseMs', value: 5_000 }),
      )
      expect(() => new CircuitBreaker({ name: 'fast', timeout: 4_999, store })).not.toThrow()
    } finally {
      store.close()
    }
  })

  it('names the bad argument of store.on, and its unsubscribe works', async () => {
    const store = new RedisStore({ client })
    expect(() => store.on('nope' as 'down', () => {})).toThrow(
      expect.objectContaining({ code: 'ERR_CIRCUIT_OPTIONS', option: 'event' }),
    )
    expect(() => store.on('down', null as unknown as () => void)).toThrow(
      expect.objectContaining({ code: 'ERR_CIRCUIT_OPTIONS', option: 'listener' }),
    )
    const heard: string[] = []
    const stop = store.on('down', () => heard.push('stopped'))
    store.on('down', ({ error }) => heard.push((error as Error).name))
    stop()
    // The client never connected (lazyConnect): the first operation starts an outage.
    expect(await store.read('x')).toMatchObject({ state: 'closed', generation: 0 })
    await store.read('y')
    expect(heard).toEqual(['StoreUnavailableError'])
    store.close()
  })

  it('takes any printable instanceId up to 200 characters, and defaults to host:pid:random', () => {
    for (const instanceId of ['i'.repeat(200), 'pod-7/é{x}"<b>', 'emoji-🎉', 'a:b:c']) {
      const store = new RedisStore({ client, instanceId })
      expect(store.instanceId).toBe(instanceId)
      store.close()
    }
    const ids = [1, 2].map(() => {
      const store = new RedisStore({ client })
      store.close()
      return store.instanceId
    })
    const host = hostname()
      .replace(/[^\x21-\x7e]/g, '-')
      .slice(0, 150)
    for (const id of ids)
      expect(id).toMatch(new RegExp(`^${literal(host)}:${process.pid}:[0-9a-f]{4}$`))
    expect(ids[0]).not.toBe(ids[1])
  })

  it('takes fleetTtlMs of 3 polls or more, and a default that fits any pollInterval', () => {
    // The default (30 s; 3 polls when longer) never makes a long pollInterval refused.
    for (const options of [{ pollInterval: 20_000 }, { pollInterval: 100, fleetTtlMs: 300 }])
      expect(() => new RedisStore({ client, ...options }).close()).not.toThrow()
  })

  it('refuses time travel unless built for tests', () => {
    const store = new RedisStore({ client })
    expect(() => store.travel(1000)).toThrow(/testing: true/)
    store.close()
  })
})

describe('keys', () => {
  it('keeps plain names readable and hashes anything else', () => {
    expect(breakerId('GET:/users/:id')).toBe('GET:/users/:id')
    for (const name of ['a{b}', 'with space', '*', 'x'.repeat(101), 'é', 'a\r\nb', ''])
      expect(breakerId(name)).toMatch(/^~[A-Za-z0-9_-]{43}$/)
    expect(breakerId('a b')).not.toBe(breakerId('a  b'))
  })

  it('gives names that differ only in a lone surrogate different keys', () => {
    const names = ['tenant-\ud800', 'tenant-\udfff', 'tenant-\ufffd', 'tenant-\udfff\ud800']
    const ids = names.map(breakerId)
    expect(new Set(ids).size).toBe(names.length)
    // A well-formed name keeps the id it always had (its key does not move).
    expect(breakerId('é')).toBe('~SplVfkAzw1Od4utlRyAXytX5VX96BiWgnxw_biumnEw')
  })

  it('maps distinct strings (any UTF-16 code units) to distinct keys', () => {
    const unit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code))
    const name = fc.oneof(
      fc.string({ unit, maxLength: 12 }),
      fc.string({ unit: fc.constantFrom('a', '-', '\ud800', '\udfff', '\ufffd'), maxLength: 6 }),
    )
    fc.assert(
      fc.property(name, name, (a, b) => {
        fc.pre(a !== b)
        expect(keysOf('p:', a).state).not.toBe(keysOf('p:', b).state)
      }),
      { numRuns: 5_000 },
    )
  })

  it('puts every key of a breaker in one hash slot', () => {
    const k = keysOf('p:', 'a{b}')
    const tag = `{${k.id}}`
    for (const key of [k.state, k.window, k.leases, k.reporters]) {
      expect(key.startsWith(`p:${tag}:`)).toBe(true)
      expect(key.split('{').length).toBe(2)
    }
  })
})
