import { CircuitBreaker, type CircuitState } from '@tripswitch/core'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import {
  type FleetCircuit,
  type RedisClient,
  RedisStore,
  type RedisStoreOptions,
} from '../src/index.ts'
import { fleetKeysOf } from '../src/keys.ts'
import { type ClientKind, KINDS, single } from './clients.ts'
import { commandCounts, uniquePrefix, until } from './helpers.ts'
import { ready, startRedis } from './redis-server.ts'

// The shared redis-server of the machine; every test has a prefix of its own.
const PORT = 6379
let admin: Redis
beforeAll(async () => {
  admin = new Redis({ port: PORT, host: '127.0.0.1', lazyConnect: true })
  await admin.connect()
})
afterAll(() => admin?.disconnect())

const fail = () => Promise.reject(new Error('down'))

/** A store of `kind` on its own client, closed when the test ends. */
async function storeOf(
  kind: ClientKind,
  prefix: string,
  options: Partial<RedisStoreOptions> = {},
  port = PORT,
): Promise<{ store: RedisStore; disconnect(): void }> {
  const made = await single(kind, port)
  const store = new RedisStore({
    pollInterval: 100,
    commandTimeout: 1_000,
    ...options,
    client: made.client,
    prefix,
  })
  onTestFinished(() => {
    store.close()
    made.close()
  })
  return { store, disconnect: () => made.close() }
}

/** Name -> instance ids, from a listing. */
function holders(listing: readonly FleetCircuit[]): Record<string, string[]> {
  return Object.fromEntries(listing.map((c) => [c.name, c.instances.map((i) => i.id)]))
}

/**
 * A store on a client of `kind` with a 5 s command timeout, for a test sending thousands of
 * scripts at once: on a loaded machine they can outlast the usual test clients' 200 ms.
 */
async function patientStore(
  kind: ClientKind,
  options: Partial<RedisStoreOptions>,
): Promise<RedisStore> {
  const settings = { enableOfflineQueue: false, maxRetriesPerRequest: 0 }
  let client: RedisClient
  if (kind === 'ioredis') {
    const io = new Redis({ port: PORT, host: '127.0.0.1', commandTimeout: 5_000, ...settings })
    await ready(io)
    onTestFinished(() => io.disconnect())
    client = io
  } else {
    const node = createClient({
      socket: { host: '127.0.0.1', port: PORT },
      disableOfflineQueue: true,
      commandOptions: { timeout: 5_000 },
    })
    node.on('error', () => {})
    await node.connect()
    onTestFinished(() => node.destroy())
    client = node
  }
  const store = new RedisStore({
    commandTimeout: 5_000,
    ...options,
    client,
    prefix: uniquePrefix(),
  })
  onTestFinished(() => store.close())
  return store
}

/**
 * Lists until the holders are `expected` (another store's write travels on its own connection),
 * at most 3 s; the listing last seen either way, for the caller to assert on.
 */
async function listedAs(
  lister: RedisStore,
  expected: Record<string, string[]>,
): Promise<FleetCircuit[]> {
  const deadline = Date.now() + 3_000
  for (;;) {
    const listing = await lister.fleet()
    const same = JSON.stringify(holders(listing)) === JSON.stringify(expected)
    if (same || Date.now() > deadline) return listing
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

async function trip(breaker: CircuitBreaker, times = 2): Promise<void> {
  for (let i = 0; i < times; i++) await breaker.execute(fail).catch(() => {})
}

describe.each(KINDS)('RedisStore.fleet() with %s', (kind) => {
  it('lists the union of two instances with the instances holding each circuit', async () => {
    const prefix = uniquePrefix()
    const { store: a } = await storeOf(kind, prefix, { instanceId: 'pod-a' })
    const { store: b } = await storeOf(kind, prefix, { instanceId: 'pod-b' })
    const made = [
      new CircuitBreaker({ name: 'shared', store: a }),
      new CircuitBreaker({ name: 'only-a', store: a }),
      new CircuitBreaker({ name: 'shared', store: b }),
      new CircuitBreaker({ name: 'only-b', errorThreshold: 2, store: b }),
    ]
    await trip(made[3]!)
    expect(made[3]!.state).toBe('open')
    const union = { 'only-a': ['pod-a'], 'only-b': ['pod-b'], shared: ['pod-a', 'pod-b'] }
    for (const store of [a, b]) {
      const listing = await listedAs(store, union)
      expect(holders(listing)).toEqual(union)
      const onlyB = listing.find((c) => c.name === 'only-b')!
      expect(onlyB.state.state).toBe('open')
      expect(onlyB.state.retryAfterMs).toBeGreaterThan(0)
      expect(listing.find((c) => c.name === 'shared')!.state).toMatchObject({
        state: 'closed',
        generation: 0,
      })
      const seen = onlyB.instances[0]!.lastSeen
      expect(Math.abs(seen - Date.now())).toBeLessThan(60_000)
    }
    expect(a.instanceId).toBe('pod-a')
    // Every fleet key expires: a prefix nobody uses any more leaves nothing behind.
    const keys = fleetKeysOf(prefix)
    for (const key of [keys.circuits, keys.instances, keys.names('pod-a')])
      expect(await admin.pttl(key)).toBeGreaterThan(0)
  })

  it('drops a closed store at once, and a store that died without close() after fleetTtlMs', async () => {
    const prefix = uniquePrefix()
    const { store: closes } = await storeOf(kind, prefix, { instanceId: 'closes' })
    const dies = await storeOf(kind, prefix, { instanceId: 'dies' })
    const { store: lister } = await storeOf(kind, prefix, { instanceId: 'lister', testing: true })
    new CircuitBreaker({ name: 'c1', store: closes })
    new CircuitBreaker({ name: 'd1', store: dies.store })
    await trip(new CircuitBreaker({ name: 'd2', errorThreshold: 2, store: dies.store }))
    new CircuitBreaker({ name: 'mine', store: lister })
    expect(holders(await lister.fleet())).toEqual({
      c1: ['closes'],
      d1: ['dies'],
      d2: ['dies'],
      mine: ['lister'],
    })
    closes.close()
    // The process dies: its connection goes and nothing tells Redis.
    dies.disconnect()
    dies.store.close()
    // The closed store's last word travels on its own connection: the lister waits for it.
    let listing = await listedAs(lister, { d1: ['dies'], d2: ['dies'], mine: ['lister'] })
    expect(holders(listing)).toEqual({ d1: ['dies'], d2: ['dies'], mine: ['lister'] })
    lister.travel(30_000 - 1_000)
    expect(holders(await lister.fleet())).toEqual({ d1: ['dies'], d2: ['dies'], mine: ['lister'] })
    lister.travel(2_000)
    listing = await lister.fleet()
    // d2 moved (its state is in Redis): still listed, held by nobody; d1 never moved: gone.
    expect(holders(listing)).toEqual({ d2: [], mine: ['lister'] })
    expect(listing.find((c) => c.name === 'd2')!.state.state).toBe('open')
    // And forgotten in Redis, not only filtered out.
    const circuits = fleetKeysOf(prefix).circuits
    expect(await admin.zscore(circuits, JSON.stringify('d1'))).toBeNull()
    expect(await admin.zscore(circuits, JSON.stringify('c1'))).toBeNull()
    expect(await admin.zscore(circuits, JSON.stringify('mine'))).not.toBeNull()
  })

  it('forgets at a heartbeat the circuits nobody registered, renewed or released for stateTtl', async () => {
    const prefix = uniquePrefix()
    const options = { instanceId: 'a', testing: true, stateTtl: 60_000 }
    const { store } = await storeOf(kind, prefix, options)
    const { store: ops } = await storeOf(kind, prefix, { instanceId: 'ops' })
    new CircuitBreaker({ name: 'held', store })
    const released = new CircuitBreaker({ name: 'released', store })
    await store.fleet()
    released.dispose()
    const force = { fromGeneration: null, to: 'forced_open', openForMs: 0, openings: 0 } as const
    await ops.transition('moved', force)
    await store.fleet()
    const circuits = fleetKeysOf(prefix).circuits
    const recorded = async (name: string) =>
      (await admin.zscore(circuits, JSON.stringify(name))) !== null
    expect(await recorded('released')).toBe(true)
    store.travel(59_000)
    await store.fleet()
    expect(await recorded('moved')).toBe(true)
    store.travel(2_000)
    const listing = await store.fleet()
    // Renewed by its holder's heartbeat: kept. Released or moved a stateTtl ago: forgotten.
    expect(await recorded('held')).toBe(true)
    expect(await recorded('released')).toBe(false)
    expect(await recorded('moved')).toBe(false)
    expect(holders(listing)).toMatchObject({ held: ['a'] })
  })

  it('stops listing an instance for a name once its last breaker of it is disposed', async () => {
    const prefix = uniquePrefix()
    const { store } = await storeOf(kind, prefix, { instanceId: 'one' })
    const first = new CircuitBreaker({ name: 'kept', store })
    const second = new CircuitBreaker({ name: 'kept', store })
    const gone = new CircuitBreaker({ name: 'gone', store })
    expect(holders(await store.fleet())).toEqual({ gone: ['one'], kept: ['one'] })
    first.dispose()
    gone.dispose()
    // Registered again, then released: the last word wins.
    new CircuitBreaker({ name: 'again', store }).dispose()
    expect(holders(await store.fleet())).toEqual({ kept: ['one'] })
    expect(second.state).toBe('closed')
  })

  it('lists a circuit only Redis has: moved by a store holding no breaker, or held by a store now closed', async () => {
    const prefix = uniquePrefix()
    const { store: ops } = await storeOf(kind, prefix, { instanceId: 'ops' })
    const { store: gone } = await storeOf(kind, prefix, { instanceId: 'gone' })
    const { store: lister } = await storeOf(kind, prefix, { instanceId: 'lister' })
    const moved = await ops.transition('ops-only', {
      fromGeneration: null,
      to: 'forced_open',
      openForMs: 0,
      openings: 0,
    })
    expect(moved.state).toBe('forced_open')
    await trip(new CircuitBreaker({ name: 'was-held', errorThreshold: 2, store: gone }))
    // The trip reaches Redis after the call that tripped it returns.
    for (let i = 0; i < 200 && (await lister.read('was-held')).state !== 'open'; i++)
      await new Promise((resolve) => setTimeout(resolve, 5))
    gone.close()
    const listing = await listedAs(lister, { 'ops-only': [], 'was-held': [] })
    expect(holders(listing)).toEqual({ 'ops-only': [], 'was-held': [] })
    expect(listing.map((c) => c.state.state)).toEqual(['forced_open', 'open'])
    // The lister holds no breaker: it is in no circuit's instances, and never registered.
    expect(await admin.zcard(fleetKeysOf(prefix).instances)).toBe(0)
  })

  it('gives hostile names back exactly, skips foreign entries and names past 1,024 characters', async () => {
    const prefix = uniquePrefix()
    const { store } = await storeOf(kind, prefix, { instanceId: 'hostile' })
    const names = [
      '<img src=x onerror=alert(1)>',
      'quotes " \' ` and \\"',
      'lone \uD800 high',
      '\uDC00',
      '\uFFFD',
      'a{b}c{',
      '__proto__',
      'constructor',
      'emoji 🎉 ok',
      '\u0000nul\r\n',
      ' ',
      // The longest name a breaker takes.
      'x'.repeat(256),
    ]
    for (const name of names) new CircuitBreaker({ name, store })
    // Longer names reach a store only by a direct call, as an operator's tool makes.
    const force = { fromGeneration: null, to: 'forced_open', openForMs: 0, openings: 0 } as const
    for (const name of ['y'.repeat(1_024), 'z'.repeat(1_025), 'w'.repeat(10_000)])
      expect((await store.transition(name, force)).state).toBe('forced_open')
    await admin.zadd(fleetKeysOf(prefix).circuits, 1, 'not json', 2, '"unterminated', 3, '7')
    const listing = await store.fleet()
    expect(listing.map((c) => c.name).sort()).toEqual([...names, 'y'.repeat(1_024)].sort())
    for (const circuit of listing)
      expect(circuit.instances.map((i) => i.id)).toEqual(circuit.name[0] === 'y' ? [] : ['hostile'])
    // A lone surrogate and the U+FFFD that UTF-8 would turn it into stay two circuits.
    expect(listing.filter((c) => c.name === '\uDC00' || c.name === '\uFFFD')).toHaveLength(2)
    expect(await store.read('w'.repeat(10_000))).toMatchObject({ state: 'forced_open' })
  })

  it('pages through more circuits than one page (cursors, never a whole collection at once)', async () => {
    // No poll meanwhile: 1,200 reads every 100 ms would crowd the client.
    const store = await patientStore(kind, { instanceId: 'many', pollInterval: 60_000 })
    const names = Array.from({ length: 1_200 }, (_, i) => `c-${i}`)
    // Made 200 at a time: each breaker's first read must not crowd the client's 200 ms timeout.
    for (let i = 0; i < names.length; i += 200) {
      const part = names.slice(i, i + 200)
      for (const name of part) new CircuitBreaker({ name, store })
      await Promise.all(part.map((name) => store.read(name)))
    }
    const listing = await store.fleet()
    expect(listing).toHaveLength(1_200)
    expect(new Set(listing.map((c) => c.name))).toEqual(new Set(names))
    expect(listing.every((c) => c.instances.length === 1)).toBe(true)
  })

  it('sends nothing to Redis per call: 500 calls of a closed breaker are no fleet call, no script', async () => {
    // A server of its own: its command counts are this test's alone.
    const server = await startRedis()
    onTestFinished(() => server.stop())
    const own = server.client()
    await ready(own)
    onTestFinished(() => own.disconnect())
    const options = { instanceId: 'busy', pollInterval: 60_000, syncInterval: 60_000 }
    const { store } = await storeOf(kind, uniquePrefix(), options, server.port)
    const breaker = new CircuitBreaker({ name: 'busy', store })
    expect(holders(await store.fleet())).toEqual({ busy: ['busy'] })
    const before = await commandCounts(own)
    for (let i = 0; i < 500; i++) await breaker.execute(() => Promise.resolve(i))
    const after = await commandCounts(own)
    const sent = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0)
    // At most the one poll a fresh pub/sub connection asks for (a read and a PING), whenever
    // that connection comes up; nothing per call.
    expect(sent('evalsha') + sent('eval')).toBeLessThanOrEqual(1)
    const others = [...after.keys()].filter((name) => sent(name) > 0)
    expect(others.filter((name) => !['info', 'evalsha', 'ping'].includes(name))).toEqual([])
  })

  it('heartbeats on the poll, about every third of fleetTtlMs', async () => {
    const prefix = uniquePrefix()
    await storeOf(kind, prefix, { instanceId: 'beating', pollInterval: 50, fleetTtlMs: 300 }).then(
      ({ store }) => new CircuitBreaker({ name: 'beat', store }),
    )
    const { store: lister } = await storeOf(kind, prefix, { instanceId: 'lister' })
    const seen = async () => (await lister.fleet())[0]?.instances[0]?.lastSeen ?? 0
    await listedAs(lister, { beat: ['beating'] })
    const first = await seen()
    expect(first).toBeGreaterThan(0)
    let later = first
    for (let i = 0; i < 500 && later === first; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      later = await seen()
    }
    expect(later).toBeGreaterThan(first)
  })

  it('writes its entry again when Redis lost it, or when it was away as breakers subscribed', async () => {
    const prefix = uniquePrefix()
    const { store } = await storeOf(kind, prefix, { instanceId: 'again' })
    new CircuitBreaker({ name: 'kept', store })
    expect(holders(await store.fleet())).toEqual({ kept: ['again'] })
    const keys = fleetKeysOf(prefix)
    await admin.del(keys.circuits, keys.instances, keys.names('again'))
    expect(holders(await store.fleet())).toEqual({ kept: ['again'] })
  })

  it.each<CircuitState>(['forced_open', 'disabled', 'closed'])(
    'a transition to %s from a store holding no breaker reaches the breakers of other stores',
    async (to) => {
      const prefix = uniquePrefix()
      const { store: held } = await storeOf(kind, prefix, { instanceId: 'held' })
      const { store: also } = await storeOf(kind, prefix, { instanceId: 'also' })
      const { store: ops } = await storeOf(kind, prefix, { instanceId: 'ops' })
      const a = new CircuitBreaker({ name: 'remote', errorThreshold: 2, store: held })
      const b = new CircuitBreaker({ name: 'remote', errorThreshold: 2, store: also })
      await trip(a)
      await until(() => b.state === 'open')
      const request = { fromGeneration: null, to, openForMs: 0, openings: 0 } as const
      expect((await ops.transition('remote', request)).state).toBe(to)
      await until(() => a.state === to && b.state === to)
      const listed = (await ops.fleet()).find((c) => c.name === 'remote')!
      expect(listed.state.state).toBe(to)
      expect(listed.instances.map((i) => i.id)).toEqual(['also', 'held'])
    },
  )
})

describe('RedisStore.fleet() before the client is ready', () => {
  it('records the breakers subscribed while the client was not connected once it is', async () => {
    const client = new Redis({
      port: PORT,
      host: '127.0.0.1',
      lazyConnect: true,
      enableOfflineQueue: false,
    })
    client.on('error', () => {})
    onTestFinished(() => client.disconnect())
    const prefix = uniquePrefix()
    const store = new RedisStore({ client, prefix, instanceId: 'late', pollInterval: 60_000 })
    onTestFinished(() => store.close())
    new CircuitBreaker({ name: 'early', store })
    await expect(store.fleet()).rejects.toThrow(/not ready/)
    await new Promise((resolve) => setImmediate(resolve))
    await client.connect()
    expect(holders(await store.fleet())).toEqual({ early: ['late'] })
  })
})
