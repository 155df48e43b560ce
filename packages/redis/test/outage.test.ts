import { CircuitBreaker } from '@tripswitch/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StoreUnavailablePolicy } from '../src/index.ts'
import { keysOf } from '../src/keys.ts'
import { fleet, KINDS, single } from './clients.ts'
import { instances, until } from './helpers.ts'
import { type RedisServer, startRedis } from './redis-server.ts'

let server: RedisServer
beforeAll(async () => {
  server = await startRedis()
})
afterAll(async () => {
  await server?.stop()
})

const ok = () => Promise.resolve(1)
const fail = () => Promise.reject(new Error('down'))

/** Runs `count` calls and returns how many failed and the slowest one in ms. */
async function calls(breaker: CircuitBreaker, count: number, fn = ok) {
  let failed = 0
  let slowest = 0
  for (let i = 0; i < count; i++) {
    const started = performance.now()
    await breaker.execute(fn).catch(() => failed++)
    slowest = Math.max(slowest, performance.now() - started)
  }
  return { failed, slowest }
}

describe.each(KINDS)('Redis killed (-9) and restarted, %s', (kind) => {
  it('fails no protected call, still trips locally, and shares again afterwards', async () => {
    const group = await fleet(() => single(kind, server.port), 2, {
      pollInterval: 100,
      syncInterval: 20,
    })
    const options = { name: 'outage', errorThreshold: 3, recoveryTimeout: 200 }
    const [a, b] = group.stores.map((store) => new CircuitBreaker({ ...options, store }))
    const errors: unknown[] = []
    a!.on('storeError', ({ error }) => errors.push(error))
    expect((await calls(a!, 50)).failed).toBe(0)

    await server.crash()
    const during = await calls(a!, 200)
    expect(during.failed).toBe(0)
    expect(during.slowest).toBeLessThan(100)
    await until(() => errors.length > 0)
    // The local breaker still protects: three failures open it, and it recovers alone.
    await calls(a!, 3, fail)
    expect(a!.state).toBe('open')
    await new Promise((resolve) => setTimeout(resolve, 250))
    expect((await calls(a!, 3)).failed).toBe(0)
    expect(a!.state).toBe('closed')

    await server.restart()
    await until(() => !group.stores[0]!.unavailable && !group.stores[1]!.unavailable, 5_000)
    // Sharing resumed: a trip in b reaches a through Redis.
    await calls(b!, 3, fail)
    await until(() => a!.state === 'open', 3_000)
    group.close()
  }, 15_000)
})

describe.each<[StoreUnavailablePolicy, string]>([
  ['open', 'open'],
  ['closed', 'closed'],
])('onStoreUnavailable: %s', (policy, expected) => {
  it(`treats every breaker as ${expected} while Redis is away, then goes back to what it was`, async () => {
    const group = await instances(server, 1, { onStoreUnavailable: policy, pollInterval: 100 })
    const breaker = new CircuitBreaker({ name: `policy-${policy}`, store: group.stores[0]! })
    // 'closed' must admit even a breaker that was open when Redis went away.
    if (policy === 'closed') breaker.forceOpen()
    const before = policy === 'closed' ? 'forced_open' : 'closed'
    await new Promise((resolve) => setTimeout(resolve, 50))
    await server.crash()
    await until(() => breaker.state === expected)
    const { failed } = await calls(breaker, 5)
    expect(failed).toBe(policy === 'open' ? 5 : 0)
    await server.restart()
    // The restarted Redis is empty: the store re-creates the breaker as it knew it, so an
    // operator's forced open outlives the outage (and an empty Redis never resets a breaker).
    await until(() => !group.stores[0]!.unavailable && breaker.state === before, 5_000)
    expect(
      await group.clients[0]!.hget(keysOf(group.prefix, `policy-${policy}`).state, 'state'),
    ).toBe(policy === 'closed' ? 'forced_open' : null)
    group.close()
  }, 15_000)
})
