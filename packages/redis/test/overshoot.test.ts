import { CircuitBreaker, isCircuitOpenError } from '@tripswitch/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { instances } from './helpers.ts'
import { type RedisServer, startRedis } from './redis-server.ts'

let server: RedisServer
beforeAll(async () => {
  server = await startRedis()
})
afterAll(async () => {
  await server?.stop()
})

const INSTANCES = 4
const THRESHOLD = 20
const PERIOD_MS = 10
const SYNC_MS = 50

describe('bounded overshoot', () => {
  it(`a fleet of ${INSTANCES} admits far fewer than ${INSTANCES} x ${THRESHOLD} failing calls`, async () => {
    const group = await instances(server, INSTANCES, { syncInterval: SYNC_MS })
    const options = { name: 'overshoot', strategy: 'window' as const, errorThreshold: THRESHOLD }
    const breakers = group.stores.map((store) => new CircuitBreaker({ ...options, store }))
    let admitted = 0
    const failing = async () => {
      admitted++
      throw new Error('down')
    }
    // Each instance fails a call every PERIOD_MS until its breaker rejects.
    await Promise.all(
      breakers.map(async (breaker) => {
        for (;;) {
          const error = await breaker.execute(failing).catch((e: unknown) => e)
          if (isCircuitOpenError(error)) return
          await new Promise((resolve) => setTimeout(resolve, PERIOD_MS))
        }
      }),
    )
    // Purely local breakers would admit INSTANCES x THRESHOLD = 80. The shared window trips at
    // THRESHOLD plus at most what the fleet fails in one sync interval (and a message's latency).
    const perInstancePerSync = SYNC_MS / PERIOD_MS
    expect(admitted).toBeGreaterThanOrEqual(THRESHOLD)
    expect(admitted).toBeLessThanOrEqual(THRESHOLD + INSTANCES * (perInstancePerSync + 2))
    group.close()
  })
})
