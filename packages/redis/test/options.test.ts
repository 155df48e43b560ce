import { CircuitBreaker, isInvalidOptionsError } from '@tripswitch/core'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { breakerId, RedisStore, type RedisStoreOptions } from '../src/index.ts'
import { keysOf } from '../src/keys.ts'

const client = new Redis({ lazyConnect: true, enableOfflineQueue: false })
afterAll(() => client.disconnect())

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
    [{ testing: 'yes' }, 'testing'],
    [{ sendCommand: () => {} }, 'sendCommand'],
  ])('rejects %j', (options, option) => {
    expect(invalid(options)).toBe(option)
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

  it('puts every key of a breaker in one hash slot', () => {
    const k = keysOf('p:', 'a{b}')
    const tag = `{${k.id}}`
    for (const key of [k.state, k.window, k.leases, k.reporters]) {
      expect(key.startsWith(`p:${tag}:`)).toBe(true)
      expect(key.split('{').length).toBe(2)
    }
  })
})
