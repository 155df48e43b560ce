import { CircuitBreaker } from '@tripswitch/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisStore } from '../src/index.ts'
import { KINDS, single } from './clients.ts'
import { uniquePrefix, until } from './helpers.ts'
import { type Fault, type FaultProxy, startProxy } from './proxy.ts'
import { type RedisServer, ready, startRedis } from './redis-server.ts'

let server: RedisServer
let proxy: FaultProxy
beforeAll(async () => {
  server = await startRedis()
  proxy = await startProxy(server.port)
})
afterAll(async () => {
  await proxy?.close()
  await server?.stop()
})

const ok = () => Promise.resolve(1)
const fail = () => Promise.reject(new Error('down'))

async function timed(breaker: CircuitBreaker, fn: () => Promise<number>, count: number) {
  let failed = 0
  let slowest = 0
  for (let i = 0; i < count; i++) {
    const started = performance.now()
    await breaker.execute(fn).catch((error: unknown) => {
      if ((error as Error).message === 'down') return
      failed++
    })
    slowest = Math.max(slowest, performance.now() - started)
  }
  return { failed, slowest }
}

const FAULTS: [string, Fault][] = [
  ['blackhole', 'blackhole'],
  ['reset', 'reset'],
  ['latency 400 ms', { latencyMs: 400 }],
]

describe.each(
  KINDS.flatMap((kind) => FAULTS.map(([label, fault]) => [kind, label, fault] as const)),
)('%s, Redis behind a %s', (kind, _label, fault) => {
  it('never fails or holds a protected call longer than commandTimeout, and recovers', async () => {
    proxy.set('none')
    const { client, close } = await single(kind, proxy.port)
    const prefix = uniquePrefix()
    const store = new RedisStore({ client, prefix, commandTimeout: 100, pollInterval: 100 })
    const breaker = new CircuitBreaker({
      name: 'fault',
      errorThreshold: 3,
      recoveryTimeout: 150,
      store,
    })
    const errors: unknown[] = []
    breaker.on('storeError', ({ error }) => errors.push(error))
    await timed(breaker, ok, 20)

    proxy.set(fault)
    const closed = await timed(breaker, ok, 100)
    expect(closed).toMatchObject({ failed: 0 })
    expect(closed.slowest).toBeLessThan(50)
    // Trip (the transition goes nowhere), wait out the open time, probe and close: all local.
    await timed(breaker, fail, 3)
    expect(breaker.state).toBe('open')
    await new Promise((resolve) => setTimeout(resolve, 200))
    const recovery = await timed(breaker, ok, 5)
    expect(recovery.failed).toBe(0)
    expect(recovery.slowest).toBeLessThan(100 + 60)
    await until(() => breaker.state === 'closed')
    await until(() => errors.length > 0)

    proxy.set('none')
    await until(() => !store.unavailable, 5_000)
    // Shared again: a change made through another client reaches this breaker.
    const direct = server.client()
    await ready(direct)
    const other = new RedisStore({ client: direct, prefix })
    await other.transition('fault', {
      fromGeneration: null,
      to: 'forced_open',
      openForMs: 0,
      openings: 0,
    })
    await until(() => breaker.state === 'forced_open', 3_000)
    other.close()
    store.close()
    close()
  }, 15_000)
})
