import { CircuitBreaker, InvalidOptionsError } from '@tripswitch/core'
import { createClient, createSentinel } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisStore, type RedisStoreOptions } from '../src/index.ts'
import { keysOf } from '../src/keys.ts'
import { single } from './clients.ts'
import { commandCounts, uniquePrefix, until } from './helpers.ts'
import { type RedisServer, ready, startRedis } from './redis-server.ts'

let server: RedisServer
beforeAll(async () => {
  server = await startRedis()
})
afterAll(async () => {
  await server?.stop()
})

const fail = () => Promise.reject(new Error('down'))

describe('RedisStore on a node-redis client', () => {
  it('loads its scripts again by EVAL when Redis answers NOSCRIPT (restart, SCRIPT FLUSH)', async () => {
    const admin = server.client()
    await ready(admin)
    const { client, close } = await single('node-redis', server.port)
    const prefix = uniquePrefix()
    const store = new RedisStore({ client, prefix, pollInterval: 60_000 })
    const breaker = new CircuitBreaker({ name: 'noscript', errorThreshold: 2, store })
    await store.read('noscript')
    await admin.script('FLUSH')
    const before = await commandCounts(admin)
    for (let i = 0; i < 2; i++) await breaker.execute(fail).catch(() => {})
    expect(breaker.state).toBe('open')
    const key = keysOf(prefix, 'noscript').state
    let state: string | null = null
    for (let i = 0; i < 100 && state !== 'open'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      state = await admin.hget(key, 'state')
    }
    // The trip reached Redis through EVAL, not through a re-seed after an outage.
    expect(state).toBe('open')
    expect(store.unavailable).toBe(false)
    const after = await commandCounts(admin)
    expect((after.get('eval') ?? 0) - (before.get('eval') ?? 0)).toBeGreaterThanOrEqual(1)
    // Loaded once: the next call goes by EVALSHA again.
    expect(after.get('evalsha') ?? 0).toBeGreaterThan(before.get('evalsha') ?? 0)
    store.close()
    close()
    admin.disconnect()
  })

  it('shares one breaker between an ioredis instance and a node-redis instance', async () => {
    const prefix = uniquePrefix()
    const io = await single('ioredis', server.port)
    const node = await single('node-redis', server.port)
    const stores = [io, node].map(
      ({ client }) => new RedisStore({ client, prefix, pollInterval: 60_000 }),
    )
    const [a, b] = stores.map(
      (store) => new CircuitBreaker({ name: 'mixed', errorThreshold: 2, store }),
    )
    for (let i = 0; i < 2; i++) await b!.execute(fail).catch(() => {})
    await until(() => a!.state === 'open', 1_000)
    for (const s of stores) s.close()
    io.close()
    node.close()
  })

  it('refuses a client that only looks like node-redis, naming the option', () => {
    const lookalike = { isOpen: true, duplicate: () => lookalike }
    expect(() => new RedisStore({ client: lookalike } as unknown as RedisStoreOptions)).toThrow(
      InvalidOptionsError,
    )
    expect(() => new RedisStore({ client: lookalike } as unknown as RedisStoreOptions)).toThrow(
      /client/,
    )
  })

  it('refuses a node-redis Sentinel client (not supported), naming the option', () => {
    const sentinel = createSentinel({
      name: 'mymaster',
      sentinelRootNodes: [{ host: '127.0.0.1', port: 1 }],
    })
    expect(() => new RedisStore({ client: sentinel } as unknown as RedisStoreOptions)).toThrow(
      expect.objectContaining({ name: 'InvalidOptionsError', option: 'client' }),
    )
  })

  it('works on a client connected after the store was made (not ready: fallback, then shared)', async () => {
    const client = createClient({
      socket: { host: '127.0.0.1', port: server.port },
      disableOfflineQueue: true,
    })
    client.on('error', () => {})
    const store = new RedisStore({ client, prefix: uniquePrefix(), pollInterval: 50 })
    const breaker = new CircuitBreaker({ name: 'late', store })
    expect(store.unavailable).toBe(true)
    expect(await breaker.execute(() => Promise.resolve(7))).toBe(7)
    await client.connect()
    await until(() => !store.unavailable, 3_000)
    expect((await store.read('late')).state).toBe('closed')
    store.close()
    client.destroy()
  })
})
