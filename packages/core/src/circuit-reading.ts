import type { CircuitBreaker } from './circuit-breaker.ts'
import type { CircuitBreakerRegistry } from './registry.ts'
import { SharedCircuit } from './shared-circuit.ts'
import type { CircuitSnapshot } from './snapshot.ts'
import type { CircuitState } from './state.ts'
import type { Tally } from './totals.ts'
import { readTotals, type WindowData } from './window.ts'

const NO_EDGES: ReadonlyMap<string, number> = new Map()

/**
 * What an exporter reads of a circuit at scrape time: the fields of {@link CircuitSnapshot}
 * that metrics show, flat and mutable so that one object is filled breaker after breaker
 * (see {@link readCircuit}) instead of one snapshot being made per breaker.
 */
export class CircuitReading {
  /** Name of the circuit. */
  name = ''
  /** Current state, read lazily as `snapshot().state` is. */
  state: CircuitState = 'closed'
  /** Calls counted in the current window. */
  calls = 0
  /** failures / calls in the current window, 0 without calls. */
  failureRate = 0
  /** slowCalls / calls in the current window, 0 without calls. */
  slowCallRate = 0
  /** `totals.successful`: calls that counted as a success since creation. */
  successful = 0
  /** `totals.failed`: calls that counted as a failure since creation (timeouts included). */
  failed = 0
  /** `totals.ignored`. */
  ignored = 0
  /** `totals.notPermitted`: calls refused by the circuit. */
  notPermitted = 0
  /** `totals.busy`: calls refused past `maxConcurrent`. */
  busy = 0
  /** `totals.timeouts`. */
  timeouts = 0
  /**
   * Transitions by edge (`from->to`), in the order of `totals.transitions`. The breaker's own
   * counters, not a copy: read them before the breaker moves again.
   */
  transitions: ReadonlyMap<string, number> = NO_EDGES
}

/** The members of a breaker a reading reaches past `protected` (read, never written). */
interface Internals {
  readonly window: WindowData
  readonly tally: Tally | null
}

/**
 * Fills `into` with what `breaker.snapshot()` would say now, without making a snapshot: no
 * object per breaker, and for breakers with a count-based or running window no allocation at
 * all (a time window is brought up to date as `snapshot()` does, which makes one small object).
 * Reading the state is lazy, as `snapshot()`'s: an open circuit past its deadline moves to
 * `half_open` on this read. A breaker of another copy of the package is read through its
 * `snapshot()`.
 * @returns `into`.
 */
export function readCircuit(breaker: CircuitBreaker, into: CircuitReading): CircuitReading {
  // Typed as a breaker, but a copy of this package from elsewhere is not a SharedCircuit here.
  const plain: { snapshot(): CircuitSnapshot } = breaker
  if (!(breaker instanceof SharedCircuit)) return fromSnapshot(plain.snapshot(), into)
  into.name = breaker.name
  // First, as snapshot() reads it: the read may move the circuit (and reset its window).
  into.state = breaker.state
  const { window, tally } = breaker as unknown as Internals
  const counts = window.kind === 'time' ? readTotals(window, breaker.settings.clock.now()) : window
  const { calls } = counts
  into.calls = calls
  // As failureRate and slowCallRate (trip.ts) compute them.
  into.failureRate = calls === 0 ? 0 : counts.failures / calls
  into.slowCallRate = calls === 0 ? 0 : counts.slowCalls / calls
  into.successful = tally?.successful ?? 0
  into.failed = tally?.failed ?? 0
  into.ignored = tally?.ignored ?? 0
  into.notPermitted = tally?.notPermitted ?? 0
  into.busy = tally?.busy ?? 0
  into.timeouts = tally?.timeouts ?? 0
  // Tally keeps its edges private, made on the first transition.
  into.transitions =
    (tally as unknown as { edges: Map<string, number> | null } | null)?.edges ?? NO_EDGES
  return into
}

function fromSnapshot(snapshot: CircuitSnapshot, into: CircuitReading): CircuitReading {
  const { totals } = snapshot
  into.name = snapshot.name
  into.state = snapshot.state
  into.calls = snapshot.calls
  into.failureRate = snapshot.failureRate
  into.slowCallRate = snapshot.slowCallRate
  into.successful = totals.successful
  into.failed = totals.failed
  into.ignored = totals.ignored
  into.notPermitted = totals.notPermitted
  into.busy = totals.busy
  into.timeouts = totals.timeouts
  into.transitions = new Map(Object.entries(totals.transitions))
  return into
}

/**
 * Every breaker of `registry`, least recently used first, then the overflow breaker once it
 * exists: the breakers of `registry.snapshot()`, in its order, without making the snapshots.
 */
export function everyBreaker(registry: CircuitBreakerRegistry): CircuitBreaker[] {
  const all = registry.list()
  // The registry keeps its overflow breaker private; list() leaves it out.
  const overflow = (registry as unknown as { overflowBreaker?: unknown }).overflowBreaker
  if (overflow instanceof SharedCircuit) all.push(overflow as CircuitBreaker)
  return all
}
