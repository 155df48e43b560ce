import { CircuitBreaker } from '@tripswitch/core'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisStore, type RedisStoreEvents } from '../src/index.ts'
import { keysOf } from '../src/keys.ts'
import { instances, uniquePrefix, until } from './helpers.ts'
import { startProxy } from './proxy.ts'
import { freePort, type RedisServer, ready, startRedis } from './redis-server.ts'

// Redis only ever makes a breaker more conservative, and a Redis that fails is seen: by the
// store's own events, and by every breaker (those created during the outage too), once per outage.

const fail = () => Promise.reject(new Error('down'))
const ok = () => Promise.resolve(1)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function run(breaker: CircuitBreaker, fn: () => Promise<number>, count: number) {
  for (let i = 0; i < count; i++) await breaker.execute(fn).catch(() => {})
}

/** Records the store's events. */
function watch(store: RedisStore) {
  const seen = { down: [] as RedisStoreEvents['down'][], up: [] as RedisStoreEvents['up'][] }
  store.on('down', (event) => seen.down.push(event))
  store.on('up', (event) => seen.up.push(event))
  return seen
}

/** A breaker on `store` and the storeError events it emits. */
function breakerOn(store: RedisStore, name: string, recoveryTimeout = 60_000) {
  const breaker = new CircuitBreaker({ name, errorThreshold: 2, recoveryTimeout, store })
  const errors: unknown[] = []
  breaker.on('storeError', ({ error }) => errors.push(error))
  return { breaker, errors }
}

/** Keeps both breakers busy (outcomes to flush, probes to ask) for `ms`. */
async function busy(breakers: CircuitBreaker[], ms: number) {
  const until = Date.now() + ms
  while (Date.now() < until) {
    for (const b of breakers) await b.execute(Math.random() < 0.5 ? ok : fail).catch(() => {})
    await sleep(5)
  }
}

const errorText = (error: unknown): string =>
  error instanceof Error ? `${error.message} ${errorText(error.cause)}` : ''

describe('a breaker used before the client is ready', () => {
  let server: RedisServer
  beforeAll(async () => {
    server = await startRedis()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('keeps a trip made before the connection came up, shares it, and says it answered alone', async () => {
    const prefix = uniquePrefix()
    // As in a quick start: a new client, used at once.
    const client = new Redis(`redis://127.0.0.1:${server.port}`)
    const store = new RedisStore({ client, prefix, pollInterval: 100 })
    const seen = watch(store)
    const { breaker, errors } = breakerOn(store, 'early')
    await run(breaker, fail, 2)
    expect(client.status).not.toBe('ready')
    expect(breaker.state).toBe('open')

    await until(() => seen.up.length === 1)
    await sleep(50)
    // Redis's empty "closed" did not close it: the trip went to Redis instead.
    expect(breaker.state).toBe('open')
    expect(breaker.retryAfterMs).toBeGreaterThan(50_000)
    const other = await instances(server, 1, { prefix })
    const remote = new CircuitBreaker({ name: 'early', store: other.stores[0]! })
    await until(() => remote.state === 'open')
    expect(await other.clients[0]!.hget(keysOf(prefix, 'early').state, 'state')).toBe('open')
    expect(errors).toHaveLength(1)
    expect(seen.down).toHaveLength(1)
    other.close()
    store.close()
    client.disconnect()
  })

  it('keeps a forced open made before the connection came up', async () => {
    const prefix = uniquePrefix()
    const client = new Redis(`redis://127.0.0.1:${server.port}`)
    const store = new RedisStore({ client, prefix, pollInterval: 100 })
    const seen = watch(store)
    const { breaker } = breakerOn(store, 'forced')
    breaker.forceOpen()
    await until(() => seen.up.length === 1)
    await sleep(50)
    expect(breaker.state).toBe('forced_open')
    expect(await client.hget(keysOf(prefix, 'forced').state, 'state')).toBe('forced_open')
    store.close()
    client.disconnect()
  })
})

describe('a trip made alone while Redis was unreachable', () => {
  let server: RedisServer
  beforeAll(async () => {
    server = await startRedis()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('is pushed to Redis when it comes back, even if Redis moved on meanwhile', async () => {
    const proxy = await startProxy(server.port)
    const cut = server.client({ port: proxy.port, commandTimeout: 100 })
    await ready(cut)
    const prefix = uniquePrefix()
    const store = new RedisStore({ client: cut, prefix, pollInterval: 50, commandTimeout: 100 })
    const seen = watch(store)
    const { breaker: alone, errors } = breakerOn(store, 'apart')
    const other = await instances(server, 1, { prefix, pollInterval: 50 })
    const { breaker: remote } = breakerOn(other.stores[0]!, 'apart')
    await sleep(30)

    proxy.set('reset')
    await until(() => seen.down.length === 1)
    await run(alone, fail, 2)
    expect(alone.state).toBe('open')
    // Meanwhile the fleet moves on: Redis is two generations further, and closed.
    remote.forceOpen()
    remote.reset()
    await until(() => remote.snapshot().generation === 2)

    proxy.set('none')
    await until(() => seen.up.length === 1, 5_000)
    // The stricter state reached alone wins over Redis's closed, at a newer generation.
    await until(() => remote.state === 'open')
    expect(alone.state).toBe('open')
    expect(alone.snapshot().generation).toBe(remote.snapshot().generation)
    expect(remote.snapshot().generation).toBeGreaterThan(2)
    expect(remote.retryAfterMs).toBeGreaterThan(50_000)
    expect(errors).toHaveLength(1)
    other.close()
    store.close()
    cut.disconnect()
    await proxy.close()
  }, 10_000)
})

describe.each([
  ['a wrong password', ['--requirepass', 'secret'], /WRONGPASS|NOAUTH|invalid/i],
  ['a refused connection', null, /ECONNREFUSED|not ready/i],
] as const)('Redis unusable from the start: %s', (_label, args, pattern) => {
  let server: RedisServer | null = null
  let port = 0
  beforeAll(async () => {
    if (args === null) port = await freePort()
    else {
      server = await startRedis(args)
      port = server.port
    }
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('is one outage: one down event, one storeError per breaker (created before or during it)', async () => {
    const client = new Redis({
      port,
      host: '127.0.0.1',
      password: 'wrong',
      retryStrategy: () => 20,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    })
    client.on('error', () => {})
    const store = new RedisStore({ client, prefix: uniquePrefix(), pollInterval: 30 })
    const seen = watch(store)
    const first = breakerOn(store, 'first')
    await until(() => seen.down.length === 1)
    // A breaker created once the failure is known hears of it too.
    const late = breakerOn(store, 'late')
    await busy([first.breaker, late.breaker], 400)
    expect(seen.down).toHaveLength(1)
    expect(seen.up).toHaveLength(0)
    expect(first.errors).toHaveLength(1)
    expect(late.errors).toHaveLength(1)
    expect(errorText(seen.down[0]!.error)).toMatch(pattern)
    expect(store.unavailable).toBe(true)
    // Breakers still protect, alone.
    await run(late.breaker, fail, 2)
    expect(late.breaker.state).toBe('open')
    store.close()
    client.disconnect()
  })
})

describe('Redis out of memory (maxmemory 1mb, noeviction, full)', () => {
  let server: RedisServer
  beforeAll(async () => {
    server = await startRedis(['--maxmemory', '1mb', '--maxmemory-policy', 'noeviction'])
  })
  afterAll(async () => {
    await server?.stop()
  })

  async function fill(client: Redis) {
    const value = 'x'.repeat(8_192)
    for (let i = 0; ; i++) {
      const error = await client.set(`filler:${i}`, value).catch((e: unknown) => e)
      if (error instanceof Error) {
        expect(error.message).toMatch(/OOM/)
        break
      }
    }
    // Full, with a margin: client buffers come and go, so memory hovers around the limit.
    await client.config('SET', 'maxmemory', '512kb')
  }

  it('is one outage while Redis refuses writes, though it still answers PING and reads', async () => {
    const group = await instances(server, 1, { pollInterval: 30, syncInterval: 10 })
    const store = group.stores[0]!
    const seen = watch(store)
    const a = breakerOn(store, 'oom-a', 50)
    const b = breakerOn(store, 'oom-b', 50)
    await run(a.breaker, ok, 3)
    await run(b.breaker, ok, 3)
    await sleep(30)
    const admin = server.client()
    await ready(admin)
    await fill(admin)

    await busy([a.breaker, b.breaker], 1_500)
    expect(seen.down).toHaveLength(1)
    expect(errorText(seen.down[0]!.error)).toMatch(/OOM/)
    const late = breakerOn(store, 'oom-late', 50)
    await busy([late.breaker], 100)
    expect([a.errors.length, b.errors.length, late.errors.length]).toEqual([1, 1, 1])
    expect(seen.up).toHaveLength(0)
    expect(store.unavailable).toBe(true)

    await admin.config('SET', 'maxmemory', '0')
    await until(() => seen.up.length === 1)
    expect(store.unavailable).toBe(false)
    await busy([a.breaker, b.breaker], 200)
    expect(seen.down).toHaveLength(1)
    expect(a.errors).toHaveLength(1)
    group.close()
  }, 10_000)
})

describe("a foreign value in one breaker's key", () => {
  let server: RedisServer
  beforeAll(async () => {
    server = await startRedis()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('is one error for that breaker (not an outage) until the key holds a valid state', async () => {
    const group = await instances(server, 1, { pollInterval: 30, syncInterval: 10 })
    const store = group.stores[0]!
    const seen = watch(store)
    const errors: RedisStoreEvents['error'][] = []
    store.on('error', (event) => errors.push(event))
    const key = keysOf(group.prefix, 'tampered').state
    const admin = group.clients[0]!
    await admin.hset(key, 'state', 'exploded', 'gen', '3')
    const tampered = breakerOn(store, 'tampered', 50)
    const healthy = breakerOn(store, 'healthy', 50)
    await busy([tampered.breaker, healthy.breaker], 300)
    expect(tampered.errors).toHaveLength(1)
    expect(errors.map((e) => e.name)).toEqual(['tampered'])
    expect(healthy.errors).toHaveLength(0)
    expect(seen.down).toHaveLength(0)
    expect(store.unavailable).toBe(false)
    // Repaired, then tampered with again: a second report.
    await admin.del(key)
    await busy([tampered.breaker], 150)
    expect(tampered.errors).toHaveLength(1)
    await admin.hset(key, 'state', 'exploded', 'gen', '3')
    await busy([tampered.breaker], 200)
    expect(tampered.errors).toHaveLength(2)
    group.close()
  })
})
