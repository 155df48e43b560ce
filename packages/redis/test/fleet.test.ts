import { CircuitBreaker, isInvalidOptionsError } from '@tripswitch/core'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { type FleetCircuit, RedisStore, type RedisStoreOptions } from '../src/index.ts'
import { fleetKeysOf } from '../src/keys.ts'
import { type ClientKind, KINDS, single } from './clients.ts'
import { uniquePrefix } from './helpers.ts'

// The shared redis-server of the machine; every test has a prefix of its own.
const PORT = 6379
let admin: Redis
beforeAll(async () => {
  admin = new Redis({ port: PORT, host: '127.0.0.1', lazyConnect: true })
  await admin.connect()
})
afterAll(() => admin?.disconnect())

const fail = () => Promise.reject(new Error('down'))

/** A store of `kind` on its own client, closed when the test ends. */
async function storeOf(
  kind: ClientKind,
  prefix: string,
  options: Partial<RedisStoreOptions> = {},
): Promise<{ store: RedisStore; disconnect(): void }> {
  const made = await single(kind, PORT)
  const store = new RedisStore({
    pollInterval: 100,
    commandTimeout: 1_000,
    ...options,
    client: made.client,
    prefix,
  })
  onTestFinished(() => {
    store.close()
    made.close()
  })
  return { store, disconnect: () => made.close() }
}

/** Name -> instance ids, from a listing. */
function holders(listing: readonly FleetCircuit[]): Record<string, string[]> {
  return Object.fromEntries(listing.map((c) => [c.name, c.instances.map((i) => i.id)]))
}

async function trip(breaker: CircuitBreaker, times = 2): Promise<void> {
  for (let i = 0; i < times; i++) await breaker.execute(fail).catch(() => {})
}

describe.each(KINDS)('RedisStore.fleet() with %s', (kind) => {
  it('lists the union of two instances with the instances holding each circuit', async () => {
    const prefix = uniquePrefix()
    const { store: a } = await storeOf(kind, prefix, { instanceId: 'pod-a' })
    const { store: b } = await storeOf(kind, prefix, { instanceId: 'pod-b' })
    const made = [
      new CircuitBreaker({ name: 'shared', store: a }),
      new CircuitBreaker({ name: 'only-a', store: a }),
      new CircuitBreaker({ name: 'shared', store: b }),
      new CircuitBreaker({ name: 'only-b', errorThreshold: 2, store: b }),
    ]
    await trip(made[3]!)
    expect(made[3]!.state).toBe('open')
    for (const store of [a, b]) {
      const listing = await store.fleet()
      expect(holders(listing)).toEqual({
        'only-a': ['pod-a'],
        'only-b': ['pod-b'],
        shared: ['pod-a', 'pod-b'],
      })
      const onlyB = listing.find((c) => c.name === 'only-b')!
      expect(onlyB.state.state).toBe('open')
      expect(onlyB.state.retryAfterMs).toBeGreaterThan(0)
      expect(listing.find((c) => c.name === 'shared')!.state).toMatchObject({
        state: 'closed',
        generation: 0,
      })
      const seen = onlyB.instances[0]!.lastSeen
      expect(Math.abs(seen - Date.now())).toBeLessThan(60_000)
    }
    expect(a.instanceId).toBe('pod-a')
  })
})
