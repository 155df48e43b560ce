import type { SharedState, StateStore, WindowSpec } from '../store.ts'

/** A store under test and the means to move its clock. */
export interface StoreFixture {
  /** The store under test, empty. */
  readonly store: StateStore
  /** Moves the store's clock forward by `ms` milliseconds. */
  advance(ms: number): void | Promise<void>
  /** Releases the store (connections, processes). */
  cleanup?(): void | Promise<void>
}

/** The test-framework functions the contract suite registers its cases with (vitest, mocha, node:test). */
export interface ContractTestApi {
  describe(name: string, body: () => void): void
  it(name: string, body: () => Promise<void>): void
}

const WINDOW: WindowSpec = { bucketMs: 100, buckets: 10 }

class ContractFailure extends Error {}

function check(condition: boolean, message: string): void {
  if (!condition) throw new ContractFailure(message)
}

function same(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual)
  const e = JSON.stringify(expected)
  check(a === e, `${what}: expected ${e}, got ${a}`)
}

function stateOf(shared: SharedState): [string, number] {
  return [shared.state, shared.generation]
}

type Case = (fixture: StoreFixture, name: string) => Promise<void>

const CASES: Record<string, Case> = {
  'reads an unknown name as closed, generation 0': async ({ store }, name) => {
    same(
      await store.read(name),
      { state: 'closed', generation: 0, retryAfterMs: 0, openings: 0 },
      'read',
    )
  },
  'applies a transition once per generation (compare-and-set)': async ({ store }, name) => {
    const first = await store.transition(name, {
      fromGeneration: 0,
      to: 'open',
      openForMs: 1000,
      openings: 1,
    })
    same(stateOf(first), ['open', 1], 'winner')
    check(
      first.retryAfterMs > 900 && first.retryAfterMs <= 1000,
      `retryAfterMs ${first.retryAfterMs}`,
    )
    const loser = await store.transition(name, {
      fromGeneration: 0,
      to: 'forced_open',
      openForMs: 0,
      openings: 0,
    })
    same(stateOf(loser), ['open', 1], 'loser sees the winner')
    same(stateOf(await store.read(name)), ['open', 1], 'read after race')
  },
  'forces a transition whatever the generation': async ({ store }, name) => {
    await store.transition(name, { fromGeneration: 0, to: 'open', openForMs: 1000, openings: 1 })
    const forced = await store.transition(name, {
      fromGeneration: null,
      to: 'disabled',
      openForMs: 0,
      openings: 0,
    })
    same(stateOf(forced), ['disabled', 2], 'forced')
  },
  'pushes changes to subscribers until they unsubscribe': async ({ store }, name) => {
    const seen: string[] = []
    const off = store.subscribe(name, (s) => seen.push(`${s.state}@${s.generation}`))
    await store.transition(name, { fromGeneration: 0, to: 'open', openForMs: 1000, openings: 1 })
    await eventually(() => seen.includes('open@1'), 'open@1 pushed')
    off()
    await store.transition(name, {
      fromGeneration: 1,
      to: 'forced_open',
      openForMs: 0,
      openings: 0,
    })
    await store.read(name)
    check(!seen.includes('forced_open@2'), `no push after unsubscribe, saw ${seen.join(',')}`)
  },
  'grants no probe while closed or before the open deadline': async ({ store, advance }, name) => {
    const closed = await store.acquireProbe(name, probe(0, 'a'))
    same([closed.granted, ...stateOf(closed.state)], [false, 'closed', 0], 'closed')
    await store.transition(name, { fromGeneration: 0, to: 'open', openForMs: 1000, openings: 1 })
    await advance(500)
    const early = await store.acquireProbe(name, probe(1, 'b'))
    same([early.granted, ...stateOf(early.state)], [false, 'open', 1], 'before deadline')
  },
  'moves open to half_open at the deadline and grants at most maxProbes leases': async (
    { store, advance },
    name,
  ) => {
    await openAndWait(store, advance, name)
    const a = await store.acquireProbe(name, probe(1, 'a', 2))
    same([a.granted, ...stateOf(a.state)], [true, 'half_open', 2], 'first lease')
    const b = await store.acquireProbe(name, probe(2, 'b', 2))
    const c = await store.acquireProbe(name, probe(2, 'c', 2))
    same([b.granted, c.granted], [true, false], 'second granted, third refused')
  },
  'frees the slot of an expired lease (a crashed prober)': async ({ store, advance }, name) => {
    await openAndWait(store, advance, name)
    check((await store.acquireProbe(name, probe(1, 'a', 1, 200))).granted, 'first lease')
    check(!(await store.acquireProbe(name, probe(2, 'b', 1, 200))).granted, 'slot taken')
    await advance(250)
    check((await store.acquireProbe(name, probe(2, 'c', 1, 200))).granted, 'slot freed by expiry')
    const late = await store.releaseProbe(name, { generation: 2, token: 'a', outcome: 'success' })
    same([late.held, late.successes], [false, 0], 'an expired lease does not count')
  },
  'releases a lease once and counts successes': async ({ store, advance }, name) => {
    await openAndWait(store, advance, name)
    await store.acquireProbe(name, probe(1, 'a', 2))
    await store.acquireProbe(name, probe(2, 'b', 2))
    const first = await store.releaseProbe(name, { generation: 2, token: 'a', outcome: 'success' })
    same([first.held, first.successes], [true, 1], 'first release')
    const again = await store.releaseProbe(name, { generation: 2, token: 'a', outcome: 'success' })
    same([again.held, again.successes], [false, 1], 'second release of the same lease')
    const ignored = await store.releaseProbe(name, { generation: 2, token: 'b', outcome: 'ignore' })
    same([ignored.held, ignored.successes], [true, 1], 'ignored probe frees its slot only')
    check((await store.acquireProbe(name, probe(2, 'c', 1))).granted, 'slot free again')
  },
  'counts failures and slow probes of held leases, for half-open sampling': async (
    { store, advance },
    name,
  ) => {
    await openAndWait(store, advance, name)
    for (const token of ['a', 'b', 'c']) await store.acquireProbe(name, probe(1, token, 3))
    const release = (token: string, outcome: 'success' | 'failure', slow: boolean) =>
      store.releaseProbe(name, { generation: 2, token, outcome, slow })
    await release('a', 'failure', false)
    await release('b', 'success', true)
    const last = await release('c', 'failure', true)
    same([last.successes, last.failures, last.slowCalls], [1, 2, 2], 'counted')
    const again = await release('c', 'failure', true)
    same([again.held, again.failures, again.slowCalls], [false, 2, 2], 'a lease counts once')
    await store.transition(name, { fromGeneration: 2, to: 'open', openForMs: 1000, openings: 2 })
    await advance(1000)
    await store.acquireProbe(name, probe(3, 'd', 1))
    const fresh = await release('d', 'success', false)
    same([fresh.held, fresh.successes, fresh.failures, fresh.slowCalls], [false, 0, 0, 0], 'stale')
    const next = await store.releaseProbe(name, { generation: 4, token: 'd', outcome: 'success' })
    same([next.held, next.successes, next.failures, next.slowCalls], [true, 1, 0, 0], 'new phase')
  },
  'ignores a release from an older generation': async ({ store, advance }, name) => {
    await openAndWait(store, advance, name)
    await store.acquireProbe(name, probe(1, 'a'))
    await store.transition(name, { fromGeneration: 2, to: 'open', openForMs: 1000, openings: 2 })
    const stale = await store.releaseProbe(name, { generation: 2, token: 'a', outcome: 'success' })
    same([stale.held, ...stateOf(stale.state)], [false, 'open', 3], 'stale release')
  },
  'adds outcome batches to the window and drops stale ones': async ({ store }, name) => {
    const batch = { generation: 0, successes: 3, failures: 2, slowCalls: 1, trailingFailures: 2 }
    const first = await store.record(name, batch, WINDOW)
    same(
      [first.counted, first.totals.calls, first.totals.failures, first.totals.slowCalls],
      [true, 5, 2, 1],
      'first',
    )
    const second = await store.record(name, { ...batch, successes: 0, trailingFailures: 2 }, WINDOW)
    same(
      [second.totals.calls, second.totals.consecutiveFailures],
      [7, 4],
      'failures without success extend the run',
    )
    const stale = await store.record(name, { ...batch, generation: 7 }, WINDOW)
    same([stale.counted, stale.totals.calls], [false, 7], 'stale batch')
  },
  'forgets outcomes that left the window': async ({ store, advance }, name) => {
    await store.record(
      name,
      { generation: 0, successes: 1, failures: 1, slowCalls: 0, trailingFailures: 1 },
      WINDOW,
    )
    await advance(WINDOW.bucketMs * WINDOW.buckets + 1)
    const later = await store.record(
      name,
      { generation: 0, successes: 1, failures: 0, slowCalls: 0, trailingFailures: 0 },
      WINDOW,
    )
    same([later.totals.calls, later.totals.failures], [1, 0], 'old bucket trimmed')
  },
  'does not count outcomes while open, and clears the window on close': async (
    { store, advance },
    name,
  ) => {
    const batch = { generation: 0, successes: 0, failures: 3, slowCalls: 0, trailingFailures: 3 }
    await store.record(name, batch, WINDOW)
    await store.transition(name, { fromGeneration: 0, to: 'open', openForMs: 1000, openings: 1 })
    const whileOpen = await store.record(name, { ...batch, generation: 1 }, WINDOW)
    check(!whileOpen.counted, 'not counted while open')
    await advance(1000)
    await store.acquireProbe(name, probe(1, 'a'))
    await store.transition(name, { fromGeneration: 2, to: 'closed', openForMs: 0, openings: 0 })
    const after = await store.record(
      name,
      { ...batch, generation: 3, failures: 1, trailingFailures: 1 },
      WINDOW,
    )
    same(
      [after.totals.failures, after.totals.consecutiveFailures],
      [1, 1],
      'window cleared on close',
    )
  },
  'forgets a deleted name': async ({ store }, name) => {
    await store.transition(name, { fromGeneration: 0, to: 'open', openForMs: 1000, openings: 1 })
    await store.delete(name)
    same(stateOf(await store.read(name)), ['closed', 0], 'after delete')
  },
}

function probe(generation: number, token: string, maxProbes = 1, leaseMs = 10_000) {
  return { generation, token, maxProbes, leaseMs }
}

async function openAndWait(
  store: StateStore,
  advance: StoreFixture['advance'],
  name: string,
): Promise<void> {
  await store.transition(name, { fromGeneration: 0, to: 'open', openForMs: 1000, openings: 1 })
  await advance(1000)
}

/** Remote stores push through pub/sub; give them a few event-loop turns, bounded. */
async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++)
    await new Promise((resolve) => setTimeout(resolve, 5))
  check(condition(), `timed out waiting for ${what}`)
}

let counter = 0

/**
 * Registers the store contract: the behaviour every {@link StateStore} must show, checked
 * through the public interface only. `makeFixture` is called once per case with an empty store.
 */
export function describeStoreContract(
  title: string,
  makeFixture: () => StoreFixture | Promise<StoreFixture>,
  api: ContractTestApi,
): void {
  api.describe(`StateStore contract: ${title}`, () => {
    for (const [caseName, run] of Object.entries(CASES)) {
      api.it(caseName, async () => {
        const fixture = await makeFixture()
        try {
          await run(fixture, `contract-${++counter}`)
        } finally {
          await fixture.cleanup?.()
        }
      })
    }
  })
}
