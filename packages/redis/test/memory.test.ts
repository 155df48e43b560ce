import { fork } from 'node:child_process'
import { join } from 'node:path'
import { CircuitBreaker } from '@tripswitch/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keysOf } from '../src/keys.ts'
import { instances, until } from './helpers.ts'
import { freePort, type RedisServer, startRedis } from './redis-server.ts'

let server: RedisServer
beforeAll(async () => {
  server = await startRedis()
})
afterAll(async () => {
  await server?.stop()
})

const NAMES = 50_000

/** Heap growth (bytes, after GC) of NAMES names through a registry of 1,000, in a fresh process. */
function growth(mode: 'redis' | 'down' | 'memory', port: number): Promise<number> {
  const child = fork(
    join(import.meta.dirname, 'heap-child.ts'),
    [String(port), mode, String(NAMES)],
    {
      execArgv: ['--expose-gc', '--import', 'tsx', '--conditions=@tripswitch/source'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  )
  return new Promise((resolve, reject) => {
    child.once('message', (message) => {
      const { growth, size } = message as { growth: number; size: number }
      expect(size).toBe(1_000)
      resolve(growth)
    })
    child.once('exit', (code) => reject(new Error(`heap child exited with ${code}`)))
  })
}

describe('bounded memory', () => {
  it(`keeps nothing per name the registry evicted (${NAMES} names, 1,000 breakers)`, async () => {
    const refused = await freePort()
    const [memory, redis, down] = await Promise.all([
      growth('memory', server.port),
      growth('redis', server.port),
      growth('down', refused),
    ])
    // Before the fix a RedisStore kept ~220 bytes per name ever seen: 11 MB here. Since the
    // store also writes fleet membership, a run with Redis reads 1.2 to 2.0 MB above the
    // in-memory registry here (it does not grow in step with the names: 100,000 names have
    // read from -0.1 to 2.9 MB), hence 3 MB: far below what 60 bytes kept per name would give.
    expect(redis).toBeLessThan(memory + 3_000_000)
    expect(down).toBeLessThan(memory + 1_500_000)
  }, 60_000)

  it('a name evicted and used again is a breaker in step with Redis again', async () => {
    const group = await instances(server, 2)
    const [a, b] = group.stores.map(
      (store) =>
        new CircuitBreaker({ name: 'again', errorThreshold: 1, recoveryTimeout: 60_000, store }),
    )
    await a!.execute(() => Promise.reject(new Error('x'))).catch(() => {})
    await until(() => b!.state === 'open')
    b!.dispose()
    const fresh = new CircuitBreaker({ name: 'again', store: group.stores[1]! })
    await until(() => fresh.state === 'open')
    group.close()
  })
})

describe('names that differ only in lone surrogates', () => {
  it('are distinct circuits in Redis', async () => {
    const group = await instances(server, 1)
    const store = group.stores[0]!
    const names = ['tenant-\ud800', 'tenant-\udfff']
    const [high, low] = names.map(
      (name) => new CircuitBreaker({ name, errorThreshold: 1, recoveryTimeout: 60_000, store }),
    )
    await high!.execute(() => Promise.reject(new Error('x'))).catch(() => {})
    expect(high!.state).toBe('open')
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(low!.state).toBe('closed')
    const [hk, lk] = names.map((name) => keysOf(group.prefix, name).state)
    expect(hk).not.toBe(lk)
    expect(await group.clients[0]!.hget(hk!, 'state')).toBe('open')
    expect(await group.clients[0]!.exists(lk!)).toBe(0)
    group.close()
  })
})
