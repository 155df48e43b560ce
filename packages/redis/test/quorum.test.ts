import { CircuitBreaker } from '@tripswitch/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { commandCounts, instances, until } from './helpers.ts'
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
const flushed = () => new Promise((resolve) => setTimeout(resolve, 120))
const options = {
  name: 'quorum',
  strategy: 'rate' as const,
  minimumCalls: 6,
  failureRateThreshold: 0.5,
}

async function run(breaker: CircuitBreaker, fn: () => Promise<number>, count: number) {
  for (let i = 0; i < count; i++) await breaker.execute(fn).catch(() => {})
}

describe('quorum', () => {
  it.each([1, 2])(
    'with quorum %i, one bad instance trips the fleet only if quorum is 1',
    async (quorum) => {
      const group = await instances(server, 2, { quorum })
      const [a, b] = group.stores.map((store) => new CircuitBreaker({ ...options, store }))
      await run(b!, ok, 3)
      await flushed()
      await run(a!, fail, 3) // 3 calls: below minimumCalls locally, 6 calls / 3 failures shared
      await flushed()
      expect(b!.state).toBe(quorum === 1 ? 'open' : 'closed')
      if (quorum === 2) {
        await run(b!, fail, 1) // a second instance reports: quorum met
        await until(() => a!.state === 'open' && b!.state === 'open')
      }
      group.close()
    },
  )
})

describe('half-open load', () => {
  it('asks Redis at most about once per syncInterval per instance while a probe runs', async () => {
    const group = await instances(server, 2, {
      syncInterval: 200,
      pollInterval: 60_000,
      testing: true,
    })
    // A long open time, passed by moving the breakers' clock and Redis's: no real wait, and the
    // half-open phase (as long as a probe lease) cannot end while the test runs.
    let shift = 0
    const clock = { now: () => Date.now() + shift }
    const [a, b] = group.stores.map(
      (store) =>
        new CircuitBreaker({
          name: 'load',
          errorThreshold: 1,
          recoveryTimeout: 60_000,
          store,
          clock,
        }),
    )
    await run(a!, fail, 1)
    await until(() => b!.state === 'open')
    shift = 60_001
    for (const store of group.stores) store.travel(60_001)
    let release!: (v: number) => void
    const probe = a!.execute(() => new Promise<number>((resolve) => (release = resolve)))
    await until(() => a!.state === 'half_open')
    const before = await commandCounts(group.clients[1]!)
    let rejected = 0
    for (let i = 0; i < 200; i++) await b!.execute(ok).catch(() => rejected++)
    const after = await commandCounts(group.clients[1]!)
    expect(rejected).toBe(200)
    expect((after.get('evalsha') ?? 0) - (before.get('evalsha') ?? 0)).toBeLessThanOrEqual(3)
    release(1)
    await probe
    await until(() => b!.state === 'closed')
    group.close()
  })
})
