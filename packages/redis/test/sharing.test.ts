import { CircuitBreaker, type Clock } from '@tripswitch/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keysOf } from '../src/keys.ts'
import { commandCounts, instances, until } from './helpers.ts'
import { type RedisServer, ready, startRedis } from './redis-server.ts'

let server: RedisServer
beforeAll(async () => {
  server = await startRedis()
})
afterAll(async () => {
  await server?.stop()
})

const fail = () => Promise.reject(new Error('down'))
const ok = () => Promise.resolve(1)

describe('breakers sharing a RedisStore', () => {
  it('trips every instance on failures aggregated across instances', async () => {
    const group = await instances(server, 2)
    const options = { name: 'agg', strategy: 'window' as const, errorThreshold: 6 }
    const [a, b] = group.stores.map((store) => new CircuitBreaker({ ...options, store }))
    for (let i = 0; i < 3; i++) {
      await a!.execute(fail).catch(() => {})
      await b!.execute(fail).catch(() => {})
    }
    // Neither local window reached 6; the shared one does after the flushes.
    await until(() => a!.state === 'open' && b!.state === 'open')
    const raw = await group.clients[0]!.hgetall(keysOf(group.prefix, 'agg').state)
    expect(raw.state).toBe('open')
    expect(raw.gen).toBe('1')
    group.close()
  })

  it('propagates a local trip to the other instance by pub/sub', async () => {
    const group = await instances(server, 2, { pollInterval: 60_000 })
    const options = { name: 'push', errorThreshold: 2, recoveryTimeout: 5_000 }
    const [a, b] = group.stores.map((store) => new CircuitBreaker({ ...options, store }))
    await a!.execute(fail).catch(() => {})
    await a!.execute(fail).catch(() => {})
    expect(a!.state).toBe('open')
    await until(() => b!.state === 'open', 1_000)
    expect(b!.retryAfterMs).toBeGreaterThan(4_000)
    group.close()
  })

  it("shares a failure's retryAfterMs (Retry-After) as the open deadline", async () => {
    const group = await instances(server, 2, { pollInterval: 60_000 })
    const options = { name: 'hint', errorThreshold: 1, recoveryTimeout: 1_000 }
    const [a, b] = group.stores.map((store) => new CircuitBreaker({ ...options, store }))
    ;(await a!.acquire()).failure(new Error('429'), { retryAfterMs: 120_000 })
    expect(a!.state).toBe('open')
    await until(() => b!.state === 'open', 1_000)
    expect(b!.retryAfterMs).toBeGreaterThan(100_000)
    group.close()
  })

  it('makes no Redis call per closed call: one flush per sync interval', async () => {
    const group = await instances(server, 1, { syncInterval: 60_000, pollInterval: 60_000 })
    const breaker = new CircuitBreaker({ name: 'hot', store: group.stores[0]! })
    await new Promise((resolve) => setTimeout(resolve, 20))
    const before = await commandCounts(group.clients[0]!)
    for (let i = 0; i < 2_000; i++) await breaker.execute(ok)
    const after = await commandCounts(group.clients[0]!)
    const scripts = (m: Map<string, number>) => (m.get('evalsha') ?? 0) + (m.get('eval') ?? 0)
    expect(scripts(after) - scripts(before)).toBe(0)
    group.close()
  })

  it('flushes at once when the local counts would trip the shared window', async () => {
    const group = await instances(server, 1, { syncInterval: 60_000 })
    const breaker = new CircuitBreaker({
      name: 'urgent',
      strategy: 'rate',
      minimumCalls: 4,
      failureRateThreshold: 0.5,
      windowMs: 10_000,
      store: group.stores[0]!,
    })
    // A second instance that only ever hears through Redis.
    const other = await instances(server, 1, { prefix: group.prefix })
    const remote = new CircuitBreaker({ name: 'urgent', store: other.stores[0]! })
    for (let i = 0; i < 4; i++) await breaker.execute(fail).catch(() => {})
    await until(() => remote.state === 'open', 1_000)
    group.close()
    other.close()
  })

  it('gives instances with clocks an hour apart the same open duration', async () => {
    const skew = (ms: number): Clock => ({ now: () => Date.now() + ms })
    const group = await instances(server, 2)
    const options = { name: 'skew', errorThreshold: 1, recoveryTimeout: 3_000 }
    const a = new CircuitBreaker({ ...options, store: group.stores[0]!, clock: skew(3_600_000) })
    const b = new CircuitBreaker({ ...options, store: group.stores[1]!, clock: skew(-3_600_000) })
    await a.execute(fail).catch(() => {})
    await until(() => b.state === 'open')
    expect(Math.abs(a.retryAfterMs - b.retryAfterMs)).toBeLessThan(150)
    expect(b.retryAfterMs).toBeGreaterThan(2_500)
    group.close()
  })

  it('closes through one cluster-wide probe after the open time (Redis clock)', async () => {
    const group = await instances(server, 2, { testing: true })
    const options = { name: 'probe', errorThreshold: 1, recoveryTimeout: 60_000 }
    const [a, b] = group.stores.map((store) => new CircuitBreaker({ ...options, store }))
    await a!.execute(fail).catch(() => {})
    await until(() => b!.state === 'open')
    for (const s of group.stores) s.travel(60_000)
    // The local deadline is still ahead; moving it is what a real wait would do.
    const clock = { now: () => Date.now() + 60_001 }
    const [c, d] = group.stores.map((store) => new CircuitBreaker({ ...options, store, clock }))
    // Past the deadline on their clocks, they read half_open as soon as they heard of the trip.
    await until(() => c!.state !== 'closed' && d!.state !== 'closed')
    let release!: () => void
    const gate = new Promise<number>((resolve) => {
      release = () => resolve(1)
    })
    const probe = c!.execute(() => gate)
    await until(() => c!.state === 'half_open')
    await expect(d!.execute(ok)).rejects.toThrow(/open/i)
    release()
    await probe
    await until(() => c!.state === 'closed' && d!.state === 'closed' && a!.state === 'closed')
    group.close()
  })

  it('keeps a TTL on every key it writes', async () => {
    const group = await instances(server, 1, { testing: true })
    const store = group.stores[0]!
    const client = group.clients[0]!
    const batch = { generation: 0, successes: 1, failures: 2, slowCalls: 0, trailingFailures: 2 }
    await store.record('ttl', batch, { bucketMs: 100, buckets: 10 })
    await store.transition('ttl', { fromGeneration: 0, to: 'open', openForMs: 10, openings: 1 })
    store.travel(20)
    await store.acquireProbe('ttl', { generation: 1, token: 't', maxProbes: 1, leaseMs: 1000 })
    const prefix = group.prefix
    const keys = await client.keys(`${prefix}*`)
    expect(keys.length).toBeGreaterThanOrEqual(2)
    for (const key of keys) expect(await client.pttl(key)).toBeGreaterThan(0)
    group.close()
  })

  it('reloads its scripts after SCRIPT FLUSH', async () => {
    const group = await instances(server, 1)
    await group.clients[0]!.script('FLUSH')
    const state = await group.stores[0]!.read('flushed')
    expect(state.state).toBe('closed')
    expect(group.stores[0]!.unavailable).toBe(false)
    group.close()
  })

  it('answers a foreign value in a state key from the fallback, without throwing', async () => {
    const group = await instances(server, 1)
    const client = group.clients[0]!
    await ready(client)
    const k = keysOf(group.prefix, 'tampered')
    await client.hset(k.state, 'state', 'exploded', 'gen', '3')
    const state = await group.stores[0]!.read('tampered')
    expect(state.state).toBe('closed')
    // Only that breaker is affected: the store stays up, and a breaker on it hears why.
    expect(group.stores[0]!.unavailable).toBe(false)
    const breaker = new CircuitBreaker({ name: 'tampered', store: group.stores[0]! })
    const errors: unknown[] = []
    breaker.on('storeError', ({ error }) => errors.push(error))
    await until(() => errors.length > 0)
    expect(await breaker.execute(ok)).toBe(1)
    expect(group.stores[0]!.unavailable).toBe(false)
    group.close()
  })
})
