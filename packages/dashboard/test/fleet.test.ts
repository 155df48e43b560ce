import { CircuitBreakerRegistry, type SharedState, type TransitionRequest } from '@tripswitch/core'
import { RedisStore } from '@tripswitch/redis'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import type { CircuitDetail, DashboardState, FleetCircuit, FleetSource } from '../src/index.ts'
import { act, ask, fail, serve, until } from './helpers.ts'

type Served = Awaited<ReturnType<typeof serve>>
let served: Served | undefined
const cleanups: Array<() => void> = []
afterEach(async () => {
  await served?.stop()
  served = undefined
  for (const cleanup of cleanups.splice(0)) cleanup()
})

const closed = (generation = 0): SharedState => ({
  state: 'closed',
  generation,
  retryAfterMs: 0,
  openings: 0,
})

/** A hand-written fleet-capable store: a fixed listing, transitions recorded. */
function fakeFleet(listing: FleetCircuit[]) {
  const transitions: Array<[string, TransitionRequest]> = []
  let failing: Error | null = null
  let reads = 0
  const store: FleetSource & { transition(name: string, r: TransitionRequest): SharedState } = {
    instanceId: 'pod-a:42:beef',
    fleet: async () => {
      reads++
      if (failing !== null) throw failing
      return listing
    },
    transition(name, request) {
      transitions.push([name, request])
      return { state: request.to, generation: 9, retryAfterMs: 0, openings: 0 }
    },
  }
  return { store, transitions, reads: () => reads, failWith: (error: Error) => (failing = error) }
}

const LISTING: FleetCircuit[] = [
  {
    name: 'zeta-remote-only',
    state: { state: 'open', generation: 3, retryAfterMs: 4_000, openings: 2 },
    instances: [{ id: 'pod-b:7:cafe', lastSeen: 1_700_000_000_000 }],
  },
  {
    name: 'local',
    state: closed(),
    instances: [
      { id: 'pod-a:42:beef', lastSeen: 1_700_000_000_001 },
      { id: 'pod-b:7:cafe', lastSeen: 1_700_000_000_002 },
    ],
  },
  {
    name: '<img src=x onerror=alert(1)>',
    state: closed(1),
    instances: [],
  },
]

describe('with a fleet-capable store', () => {
  it('lists the fleet beside the local circuits, and names the instance by the store', async () => {
    const { store } = fakeFleet(LISTING)
    served = await serve({ store })
    await served.registry.get('local').execute(async () => 'ok')
    const state = (await ask(served.port, { path: '/api/circuits' })).json as DashboardState
    expect(state.instance).toBe('pod-a:42:beef')
    expect(state.circuits.map((c) => c.name)).toEqual(['local'])
    expect(state.fleet!.map((c) => c.name)).toEqual([
      '<img src=x onerror=alert(1)>',
      'local',
      'zeta-remote-only',
    ])
    expect(state.fleet![2]).toEqual({
      name: 'zeta-remote-only',
      state: 'open',
      generation: 3,
      retryAfterMs: 4_000,
      openings: 2,
      instances: [{ id: 'pod-b:7:cafe', lastSeen: 1_700_000_000_000 }],
    })
  })

  it('shows a circuit only the fleet knows, with its instances', async () => {
    const { store } = fakeFleet(LISTING)
    served = await serve({ store })
    const answer = await ask(served.port, { path: '/api/circuits/zeta-remote-only' })
    expect(answer.status).toBe(200)
    const detail = answer.json as CircuitDetail
    expect(detail).toMatchObject({ name: 'zeta-remote-only', state: 'open', retryAfterMs: 4_000 })
    expect(detail.fleet!.instances.map((i) => i.id)).toEqual(['pod-b:7:cafe'])
    expect(detail.history).toEqual([])
  })

  it('acts on a fleet-only circuit through the store, a forced move', async () => {
    const { store, transitions } = fakeFleet(LISTING)
    served = await serve({ store, authorize: () => ({ who: 'ops' }) })
    const answer = await act(served.port, '/api/circuits/zeta-remote-only/close')
    expect(answer.json).toEqual({ name: 'zeta-remote-only', action: 'close', state: 'closed' })
    expect(transitions).toEqual([
      ['zeta-remote-only', { fromGeneration: null, to: 'closed', openForMs: 0, openings: 0 }],
    ])
    expect(served.log.at(-1)).toMatchObject({ who: 'ops', name: 'zeta-remote-only', allowed: true })
    await act(served.port, '/api/circuits/zeta-remote-only/open')
    await act(served.port, '/api/circuits/zeta-remote-only/disable')
    expect(transitions.map(([, r]) => r.to)).toEqual(['closed', 'forced_open', 'disabled'])
    expect((await act(served.port, '/api/circuits/not-anywhere/open')).status).toBe(404)
  })

  it('a failing fleet read keeps the last listing and shows nothing of the error', async () => {
    const { store, failWith, reads } = fakeFleet(LISTING)
    served = await serve({ store, intervalMs: 10 })
    const before = (await ask(served.port, { path: '/api/circuits' })).json as DashboardState
    expect(before.fleet).toHaveLength(3)
    failWith(new Error('connect ETIMEDOUT redis-primary.secret.internal:6379'))
    const readsBefore = reads()
    let after = await ask(served.port, { path: '/api/circuits' })
    // Until a read has failed since (a read is made at most once per intervalMs).
    await until(async () => {
      after = await ask(served!.port, { path: '/api/circuits' })
      return reads() > readsBefore + 1
    })
    expect(after.status).toBe(200)
    expect((after.json as DashboardState).fleet).toHaveLength(3)
    expect(after.text).not.toContain('secret')
  })

  it('drops malformed fleet entries', async () => {
    const junk = [
      { name: 5, state: closed(), instances: [] },
      { name: 'bad-state', state: { state: 'weird' }, instances: [] },
      { name: 'ok', state: { state: 'closed', generation: Number.NaN }, instances: [{ id: 1 }] },
    ] as unknown as FleetCircuit[]
    const { store } = fakeFleet(junk)
    served = await serve({ store })
    const state = (await ask(served.port, { path: '/api/circuits' })).json as DashboardState
    expect(state.fleet).toEqual([
      { name: 'ok', state: 'closed', generation: 0, retryAfterMs: 0, openings: 0, instances: [] },
    ])
  })
})

describe('with a real RedisStore on 127.0.0.1:6379', () => {
  it('shows circuits another instance created, and which instances hold each', async () => {
    const prefix = `dash${process.pid}x${Date.now()}:`
    const stores = ['pod-a', 'pod-b'].map((instanceId) => {
      const client = new Redis({ host: '127.0.0.1', port: 6379 })
      const store = new RedisStore({ client, prefix, instanceId, pollInterval: 100 })
      cleanups.push(() => {
        store.close()
        client.disconnect()
      })
      return store
    })
    const [a, b] = stores as [RedisStore, RedisStore]
    const here = new CircuitBreakerRegistry({ store: a, defaults: { errorThreshold: 2 } })
    const there = new CircuitBreakerRegistry({ store: b, defaults: { errorThreshold: 2 } })
    here.get('shared')
    there.get('shared')
    for (let i = 0; i < 2; i++) await fail(there, 'only-b', new Error('secret-upstream.internal'))
    served = await serve({ registry: here, store: a, authorize: () => true, intervalMs: 50 })
    let state: DashboardState | undefined
    await until(async () => {
      state = (await ask(served!.port, { path: '/api/circuits' })).json as DashboardState
      // Membership is written in the background: wait until both instances have reported.
      const held = state.fleet?.flatMap((c) => c.instances.map((i) => `${c.name}@${i.id}`))
      return held?.length === 3
    })
    expect(state!.instance).toBe('pod-a')
    expect(state!.circuits.map((c) => c.name)).toEqual(['shared'])
    const onlyB = state!.fleet!.find((c) => c.name === 'only-b')!
    expect(onlyB.state).toBe('open')
    expect(onlyB.instances.map((i) => i.id)).toEqual(['pod-b'])
    const shared = state!.fleet!.find((c) => c.name === 'shared')!
    expect(shared.instances.map((i) => i.id).sort()).toEqual(['pod-a', 'pod-b'])
    // Closing the fleet-only circuit here reaches the instance that holds it.
    const answer = await act(served.port, '/api/circuits/only-b/close')
    expect(answer.json).toMatchObject({ name: 'only-b', state: 'closed' })
    await until(() => there.get('only-b').state === 'closed')
    expect(JSON.stringify(state)).not.toContain('secret-upstream')
  })
})
