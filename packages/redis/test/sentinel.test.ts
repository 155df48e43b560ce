import { CircuitBreaker } from '@tripswitch/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisStore } from '../src/index.ts'
import { fleet } from './clients.ts'
import { until } from './helpers.ts'
import { underLoad } from './load.ts'
import { type SentinelSetup, startSentinels } from './redis-sentinel.ts'
import { ready } from './redis-server.ts'

let setup: SentinelSetup
beforeAll(async () => {
  setup = await startSentinels()
}, 30_000)
afterAll(async () => {
  await setup?.stop()
})

const fail = () => Promise.reject(new Error('down'))
const NAMES = ['sentinel-a', 'sentinel-b', 'sentinel-c']

async function sentinelClient() {
  const client = setup.client()
  await ready(client)
  return { client, close: () => client.disconnect() }
}

describe('Redis behind Sentinel (a primary, a replica, three sentinels), ioredis', () => {
  it('follows a failover after kill -9 of the primary under load: no failed call, sharing resumes', async () => {
    const group = await fleet(sentinelClient, 2, {
      pollInterval: 200,
      syncInterval: 20,
      commandTimeout: 200,
    })
    const [a, b] = group.stores.map((store) =>
      NAMES.map(
        (name) => new CircuitBreaker({ name, errorThreshold: 3, recoveryTimeout: 200, store }),
      ),
    )
    for (let i = 0; i < 3; i++) await a![0]!.execute(fail).catch(() => {})
    await until(() => b![0]!.state === 'open', 2_000)
    const downs: unknown[] = []
    for (const store of group.stores) store.on('down', ({ error }) => downs.push(error))
    const load = underLoad([...a!, ...b!])
    let promoted = 0
    try {
      await new Promise((resolve) => setTimeout(resolve, 100))
      const old = await setup.killPrimary()
      promoted = await setup.failedOver(old)
      expect(promoted).not.toBe(old)
      await until(() => group.stores.every((s) => !s.unavailable), 10_000)
      await until(() => [...a!, ...b!].every((x) => x.state === 'closed'), 10_000)
    } finally {
      const result = await load.stop()
      expect(result.failed).toEqual([])
      expect(result.calls).toBeGreaterThan(100)
      expect(result.slowestMs).toBeLessThan(1_000)
    }
    // The store saw the primary go (it did not sail through on luck), and came back to the new one.
    expect(downs.length).toBeGreaterThan(0)
    const third = await sentinelClient()
    const other = new RedisStore({
      client: third.client,
      prefix: group.prefix,
      commandTimeout: 1_000,
    })
    await other.transition(NAMES[1]!, {
      fromGeneration: null,
      to: 'forced_open',
      openForMs: 0,
      openings: 0,
    })
    await until(() => a![1]!.state === 'forced_open' && b![1]!.state === 'forced_open', 3_000)
    other.close()
    third.close()
    group.close()
  }, 40_000)
})
