import { CircuitBreaker } from '@tripswitch/core'
import { describeStoreContract } from '@tripswitch/core/testing'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { RedisStore } from '../src/index.ts'
import { keysOf } from '../src/keys.ts'
import { type ClientKind, clustered, fleet, KINDS } from './clients.ts'
import { until } from './helpers.ts'
import { underLoad } from './load.ts'
import { type RedisCluster, startCluster } from './redis-cluster.ts'

let cluster: RedisCluster
beforeAll(async () => {
  cluster = await startCluster()
}, 30_000)
afterAll(async () => {
  await cluster?.stop()
})

const fail = () => Promise.reject(new Error('down'))
const NAMES = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot']
const BREAKER = { errorThreshold: 3, recoveryTimeout: 200 }

/** Names whose keys sit on at least two different masters (so cross-slot work is exercised). */
async function spread(names: readonly string[]): Promise<Map<string, number>> {
  const owners = new Map<string, number>()
  for (const name of names) owners.set(name, await cluster.masterOf(await cluster.slotOf(name)))
  expect(new Set(owners.values()).size).toBeGreaterThan(1)
  return owners
}

/** Forces `name` open through a store of its own (a third instance), as an operator would. */
async function forceOpen(kind: ClientKind, prefix: string, name: string): Promise<void> {
  const { client, close } = await clustered(kind, cluster)
  const other = new RedisStore({ client, prefix, commandTimeout: 1_000 })
  const state = await other.transition(name, {
    fromGeneration: null,
    to: 'forced_open',
    openForMs: 0,
    openings: 0,
  })
  expect(state.state).toBe('forced_open')
  other.close()
  close()
}

describe.each(KINDS)('Redis Cluster (3 masters, 3 replicas) with %s', (kind) => {
  let prefixes = 0
  describeStoreContract(
    `RedisStore on a cluster, ${kind}`,
    async () => {
      const { client, close } = await clustered(kind, cluster)
      const store = new RedisStore({
        client,
        prefix: `cc${kind.length}x${++prefixes}:`,
        testing: true,
        pollInterval: 100,
        commandTimeout: 1_000,
      })
      return {
        store,
        advance: (ms: number) => store.travel(ms),
        cleanup: () => {
          store.close()
          close()
        },
      }
    },
    { describe, it },
  )

  it('pushes transitions of breakers on every master to every instance (classic PUBLISH)', async () => {
    await spread(NAMES)
    // No poll in this test: only pub/sub can carry the trips.
    const group = await fleet(() => clustered(kind, cluster), 2, { pollInterval: 60_000 })
    const [a, b] = group.stores.map((store) =>
      NAMES.map((name) => new CircuitBreaker({ ...BREAKER, recoveryTimeout: 60_000, name, store })),
    )
    for (const breaker of a!)
      for (let i = 0; i < 3; i++) await breaker.execute(fail).catch(() => {})
    expect(a!.map((x) => x.state)).toEqual(NAMES.map(() => 'open'))
    await until(() => b!.every((x) => x.state === 'open'), 2_000)
    group.close()
  })

  it('polls breakers on every master (no cross-slot pipeline) and finds states nobody published', async () => {
    const group = await fleet(() => clustered(kind, cluster), 1, { pollInterval: 100 })
    const breakers = NAMES.map((name) => new CircuitBreaker({ name, store: group.stores[0]! }))
    await until(() => !group.stores[0]!.unavailable)
    const admin = cluster.client()
    await new Promise((resolve) => admin.once('ready', resolve))
    // Written straight into each key, as a lost message would leave it: only a poll sees it.
    for (const name of NAMES)
      await admin.hset(keysOf(group.prefix, name).state, {
        state: 'forced_open',
        gen: 7,
        until: 0,
        trips: 0,
      })
    await until(() => breakers.every((x) => x.state === 'forced_open'), 3_000)
    expect(group.stores[0]!.unavailable).toBe(false)
    admin.disconnect()
    group.close()
  })

  it('lists the fleet across masters: both instances, hostile names, a circuit only Redis has', async () => {
    const owners = await spread(NAMES)
    const group = await fleet(() => clustered(kind, cluster), 2, { pollInterval: 200 })
    const [a, b] = group.stores
    const hostile = ['<img src=x onerror=alert(1)>', 'lone \ud800', 'a{b}']
    for (const name of [...NAMES, ...hostile]) new CircuitBreaker({ name, store: a! })
    new CircuitBreaker({ name: NAMES[0]!, store: b! })
    // Open for a minute: a listing that lands late under load still reads it open.
    const onlyB = new CircuitBreaker({
      ...BREAKER,
      recoveryTimeout: 60_000,
      name: 'only-b',
      store: b!,
    })
    for (let i = 0; i < 3; i++) await onlyB.execute(fail).catch(() => {})
    await forceOpen(kind, group.prefix, 'ops-only')
    // b's name and its trip travel on b's connections, as separate writes: listed once both
    // landed (at most 3 s).
    const landed = () => listing.find((c) => c.name === 'only-b')?.state.state === 'open'
    let listing = await a!.fleet()
    for (let i = 0; i < 300 && !landed(); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      listing = await a!.fleet()
    }
    const ids = (name: string) => listing.find((c) => c.name === name)?.instances.map((i) => i.id)
    expect(listing.map((c) => c.name).sort()).toEqual(
      [...NAMES, ...hostile, 'only-b', 'ops-only'].sort(),
    )
    expect(ids(NAMES[0]!)).toEqual([a!.instanceId, b!.instanceId].sort())
    expect(ids(NAMES[1]!)).toEqual([a!.instanceId])
    expect(ids('only-b')).toEqual([b!.instanceId])
    expect(ids('ops-only')).toEqual([])
    expect(listing.find((c) => c.name === 'ops-only')!.state.state).toBe('forced_open')
    expect(listing.find((c) => c.name === 'only-b')!.state.state).toBe('open')
    // The states came from keys on several masters.
    expect(new Set(owners.values()).size).toBeGreaterThan(1)
    group.close()
  })

  it('kill -9 of a master under load: no failed call, a replica takes over, sharing resumes', async () => {
    const owners = await spread(NAMES)
    const victim = NAMES[0]!
    const slot = await cluster.slotOf(victim)
    const master = owners.get(victim)!
    // Back as a replica however the test ends, so the next failover has one to promote.
    onTestFinished(() => cluster.revive(master))
    const group = await fleet(() => clustered(kind, cluster), 2, {
      pollInterval: 200,
      syncInterval: 20,
      commandTimeout: 200,
    })
    const [a, b] = group.stores.map((store) =>
      NAMES.map((name) => new CircuitBreaker({ ...BREAKER, name, store })),
    )
    // The victim is open everywhere when its master dies: the write may be lost with it.
    for (let i = 0; i < 3; i++) await a![0]!.execute(fail).catch(() => {})
    await until(() => b![0]!.state === 'open', 2_000)
    const load = underLoad([...a!, ...b!])
    try {
      await new Promise((resolve) => setTimeout(resolve, 100))
      await cluster.kill(master)
      await cluster.settled(slot, master)
      // Nothing wedged: both instances are back on Redis, and the victim closed again.
      await until(() => group.stores.every((s) => !s.unavailable), 10_000)
      await until(() => [...a!, ...b!].every((x) => x.state === 'closed'), 10_000)
    } finally {
      const result = await load.stop()
      expect(result.failed).toEqual([])
      expect(result.calls).toBeGreaterThan(100)
      expect(result.slowestMs).toBeLessThan(1_000)
    }
    // Sharing resumes on the new master: a change made elsewhere reaches both instances.
    await forceOpen(kind, group.prefix, victim)
    await until(() => a![0]!.state === 'forced_open' && b![0]!.state === 'forced_open', 3_000)
    group.close()
  }, 40_000)

  it("moves a breaker's slot to another master under load (MOVED, ASK): nothing lost", async () => {
    const victim = NAMES[1]!
    const slot = await cluster.slotOf(victim)
    const from = await cluster.masterOf(slot)
    const to = (await cluster.masters()).find((port) => port !== from)!
    const group = await fleet(() => clustered(kind, cluster), 2, {
      pollInterval: 200,
      syncInterval: 20,
      commandTimeout: 300,
    })
    const [a, b] = group.stores.map(
      (store) => new CircuitBreaker({ ...BREAKER, name: victim, store }),
    )
    for (let i = 0; i < 3; i++) await a!.execute(fail).catch(() => {})
    await until(() => b!.state === 'open', 2_000)
    const before = await group.stores[1]!.read(victim)
    const load = underLoad([a!, b!])
    const owner = cluster.node(to)
    const asking = async () =>
      Number(/cmdstat_asking:calls=(\d+)/.exec(await owner.info('commandstats'))?.[1] ?? 0)
    const askedBefore = await asking()
    try {
      // Every key moved, the slot not yet handed over: the old master answers ASK, the clients
      // follow it to the new one, which answers TRYAGAIN (Redis refuses a multi-key script there
      // while some of its keys, the lease and reporter sets, do not exist). The store stays on
      // its fallback until the slot is handed over; its polls try meanwhile.
      await cluster.migrate(slot, to, 60, () => new Promise((resolve) => setTimeout(resolve, 400)))
      expect(await asking()).toBeGreaterThan(askedBefore)
      await cluster.settled(slot, from)
      expect(await cluster.masterOf(slot)).toBe(to)
      await until(() => group.stores.every((s) => !s.unavailable), 5_000)
      await until(() => a!.state === 'closed' && b!.state === 'closed', 5_000)
    } finally {
      const result = await load.stop()
      expect(result.failed).toEqual([])
      expect(result.slowestMs).toBeLessThan(1_000)
    }
    // The breaker's history came along: the key, now on the new master, went on from where it
    // was (never back to generation 0), and both instances agree with it.
    const key = keysOf(group.prefix, victim).state
    let raw = ''
    let seen: number[] = []
    for (let i = 0; i < 40; i++) {
      raw = String(await owner.hget(key, 'gen'))
      seen = await Promise.all(group.stores.map(async (s) => (await s.read(victim)).generation))
      if (seen.every((g) => String(g) === raw)) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(seen).toEqual([Number(raw), Number(raw)])
    expect(Number(raw)).toBeGreaterThan(before.generation)
    owner.disconnect()
    await forceOpen(kind, group.prefix, victim)
    await until(() => a!.state === 'forced_open' && b!.state === 'forced_open', 3_000)
    group.close()
  }, 40_000)
})
