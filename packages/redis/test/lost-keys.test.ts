import { CircuitBreaker, type CircuitBreakerOptions } from '@tripswitch/core'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keysOf } from '../src/keys.ts'
import { commandCounts, instances, until } from './helpers.ts'
import { type RedisServer, ready, startRedis } from './redis-server.ts'

// Redis may forget a breaker (FLUSHALL, a restart without persistence, SCRIPT FLUSH, the state
// key's TTL): the instances still know it, and must agree again and go on sharing trips.

let server: RedisServer
let admin: Redis
beforeAll(async () => {
  server = await startRedis()
  admin = server.client()
  await ready(admin)
})
afterAll(async () => {
  await server?.stop()
})

const fail = () => Promise.reject(new Error('down'))
const ok = () => Promise.resolve(1)
const generation = (breaker: CircuitBreaker) => breaker.snapshot().generation

async function run(breaker: CircuitBreaker, fn: () => Promise<number>, count: number) {
  for (let i = 0; i < count; i++) await breaker.execute(fn).catch(() => {})
}

/** Moves the circuit to generation 6, closed (three forced open / reset pairs), seen by all. */
async function toGeneration6(breakers: CircuitBreaker[]) {
  for (let i = 0; i < 3; i++) {
    breakers[0]!.forceOpen()
    breakers[0]!.reset()
  }
  await until(() => breakers.every((b) => generation(b) === 6 && b.state === 'closed'))
}

async function pair(options: Partial<CircuitBreakerOptions> = {}, store = {}) {
  const group = await instances(server, 2, { pollInterval: 100, syncInterval: 20, ...store })
  const name = options.name ?? 'lost'
  const breakers = group.stores.map(
    (s) =>
      new CircuitBreaker({
        errorThreshold: 3,
        recoveryTimeout: 60_000,
        ...options,
        name,
        store: s,
      }),
  )
  const errors: unknown[] = []
  for (const b of breakers) b.on('storeError', ({ error }) => errors.push(error))
  return { group, breakers, errors, key: keysOf(group.prefix, name).state }
}

/** The generations `breaker` goes through: they must never go back, whatever Redis forgot. */
function generations(breaker: CircuitBreaker): number[] {
  const seen: number[] = []
  breaker.on('stateChange', () => seen.push(generation(breaker)))
  return seen
}

const ascending = (seen: number[]) => seen.every((g, i) => i === 0 || g >= seen[i - 1]!)

async function expectSharedTrip(breakers: CircuitBreaker[], key: string, from: number) {
  await run(breakers[1]!, fail, 3)
  expect(breakers[1]!.state).toBe('open')
  await until(() => breakers[0]!.state === 'open', 1_000)
  expect(breakers.map(generation)).toEqual([from + 1, from + 1])
  expect(await admin.hmget(key, 'state', 'gen')).toEqual(['open', String(from + 1)])
}

describe('Redis losing keys', () => {
  it('FLUSHALL: the next move re-creates the key at the known generation; a trip reaches every instance', async () => {
    const { group, breakers, errors, key } = await pair()
    const seen = breakers.map(generations)
    await toGeneration6(breakers)
    await admin.flushall()
    // A read by either instance brings the key back as they know it, not as "closed, 0".
    expect(await group.stores[0]!.read('lost')).toMatchObject({ state: 'closed', generation: 6 })
    expect(await admin.hmget(key, 'state', 'gen')).toEqual(['closed', '6'])
    await expectSharedTrip(breakers, key, 6)
    expect(errors).toEqual([])
    expect(seen.every(ascending)).toBe(true)
    group.close()
  })

  it('FLUSHALL while open: the open deadline survives, and the circuit probes and closes', async () => {
    const { group, breakers, key } = await pair({ recoveryTimeout: 150 })
    await toGeneration6(breakers)
    await run(breakers[0]!, fail, 3)
    await until(() => breakers[1]!.state === 'open')
    await admin.flushall()
    // Before the deadline, the re-created key still refuses a probe with the time left.
    expect((await group.stores[1]!.read('lost')).retryAfterMs).toBeGreaterThan(0)
    expect(await admin.hget(key, 'gen')).toBe('7')
    // A whole-ms deadline, whatever the resolution of the clock the time left was measured with.
    expect(await admin.hget(key, 'until')).toMatch(/^\d+$/)
    await new Promise((resolve) => setTimeout(resolve, 170))
    // Past the deadline, a probe is granted (not "retry in 0 ms" forever) and closes the circuit.
    expect(await breakers[1]!.execute(ok)).toBe(1)
    await until(() => breakers.every((b) => b.state === 'closed' && generation(b) === 9))
    group.close()
  })

  it('a restart that loses the data within milliseconds: same generation, trips still shared', async () => {
    const { group, breakers, key } = await pair()
    await toGeneration6(breakers)
    await server.crash()
    await server.restart()
    await until(() => group.stores.every((s) => !s.unavailable), 5_000)
    await until(() => breakers.every((b) => generation(b) === 6 && b.state === 'closed'))
    await expectSharedTrip(breakers, key, 6)
    group.close()
  }, 10_000)

  it('the state key expiring (stateTtl): re-created on the next move; a trip reaches every instance', async () => {
    const { group, breakers, key } = await pair({}, { stateTtl: 150, pollInterval: 60_000 })
    await toGeneration6(breakers)
    const deadline = Date.now() + 2_000
    while ((await admin.exists(key)) === 1 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20))
    expect(await admin.exists(key)).toBe(0)
    await expectSharedTrip(breakers, key, 6)
    group.close()
  })

  it('a key re-created by an instance that knew less is moved past what the others know', async () => {
    const { group, breakers, key } = await pair()
    const seen = breakers.map(generations)
    await toGeneration6(breakers)
    await admin.flushall()
    // A new instance, which never heard of generation 6, trips first: it creates generation 1.
    const late = await instances(server, 1, { prefix: group.prefix, pollInterval: 100 })
    const newcomer = new CircuitBreaker({
      name: 'lost',
      errorThreshold: 3,
      recoveryTimeout: 60_000,
      store: late.stores[0]!,
    })
    await run(newcomer, fail, 3)
    expect(newcomer.state).toBe('open')
    // The instances that knew 6 take its trip at a generation above both, and so does it.
    await until(() => [...breakers, newcomer].every((b) => b.state === 'open'), 1_000)
    const gens = [...breakers, newcomer].map(generation)
    expect(new Set(gens).size).toBe(1)
    expect(gens[0]).toBeGreaterThan(6)
    expect(await admin.hmget(key, 'state', 'gen')).toEqual(['open', String(gens[0])])
    expect(breakers[0]!.retryAfterMs).toBeGreaterThan(50_000)
    expect(seen.every(ascending)).toBe(true)
    expect(seen[0]!.length).toBeGreaterThan(6)
    late.close()
    group.close()
  })

  it('store.delete under live breakers: the next trip re-creates the key and is shared', async () => {
    const { group, breakers, key } = await pair()
    await toGeneration6(breakers)
    // The deleting instance forgets the circuit; its breaker (generation 6) does not.
    await group.stores[1]!.delete('lost')
    expect(await admin.exists(key)).toBe(0)
    await expectSharedTrip(breakers, key, 6)
    group.close()
  })

  it('SCRIPT FLUSH: flushes, transitions and the poll pipeline fall back to EVAL', async () => {
    const { group, breakers, errors, key } = await pair({}, { pollInterval: 60 })
    await toGeneration6(breakers)
    const before = await commandCounts(admin)
    // Both at once: the poll's pipeline must reload the script to re-create the key.
    await admin.script('FLUSH')
    await admin.flushall()
    const deadline = Date.now() + 2_000
    while ((await admin.exists(key)) === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10))
    expect(await admin.hmget(key, 'state', 'gen')).toEqual(['closed', '6'])
    await admin.script('FLUSH')
    await expectSharedTrip(breakers, key, 6)
    const after = await commandCounts(admin)
    expect((after.get('eval') ?? 0) - (before.get('eval') ?? 0)).toBeGreaterThanOrEqual(2)
    expect(errors).toEqual([])
    expect(group.stores.every((s) => !s.unavailable)).toBe(true)
    group.close()
  })
})
