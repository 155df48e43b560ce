import type { BreakerMode } from './options.ts'
import type { CircuitState } from './state.ts'
import type { CircuitTotals } from './totals.ts'
import type { BreakerState } from './transition.ts'
import { failureRate, slowCallRate } from './trip.ts'
import type { WindowTotals } from './window.ts'

/** A JSON-safe picture of one circuit, from {@link CircuitBreaker.snapshot}. */
export interface CircuitSnapshot {
  /** Name of the circuit. */
  readonly name: string
  /** Current state. */
  readonly state: CircuitState
  /** Calls counted in the current window (closed state). */
  readonly calls: number
  /** Failures counted in the current window. */
  readonly failures: number
  /** Successes counted in the current window. */
  readonly successes: number
  /** Slow calls counted in the current window. */
  readonly slowCalls: number
  /** Failures since the last success. */
  readonly consecutiveFailures: number
  /** failures / calls, 0 without calls. */
  readonly failureRate: number
  /** slowCalls / calls, 0 without calls. */
  readonly slowCallRate: number
  /** Clock time (ms) of the current opening; null unless open. */
  readonly openedAt: number | null
  /** Milliseconds until a probe is allowed; 0 unless open. */
  readonly retryAfterMs: number
  /** Transitions so far (the fencing generation). */
  readonly generation: number
  /** Calls admitted and not yet settled. */
  readonly activeCalls: number
  /** `enforce`, or `shadow`: the breaker reports what it would do but refuses nothing. */
  readonly mode: BreakerMode
  /** Counts since the breaker was created (never reset). */
  readonly totals: CircuitTotals
}

/** What a snapshot tells about the breaker itself, beside its state and window. */
export interface SnapshotSubject {
  readonly name: string
  readonly mode: BreakerMode
  readonly activeCalls: number
}

/** Builds the snapshot of a circuit in `state` with window `totals` at time `now`. */
export function snapshotOf(
  { name, mode, activeCalls }: SnapshotSubject,
  state: BreakerState,
  window: WindowTotals,
  now: number,
  totals: CircuitTotals,
): CircuitSnapshot {
  const open = state.state === 'open'
  return {
    name,
    state: state.state,
    calls: window.calls,
    failures: window.failures,
    successes: window.successes,
    slowCalls: window.slowCalls,
    consecutiveFailures: window.consecutiveFailures,
    failureRate: failureRate(window),
    slowCallRate: slowCallRate(window),
    openedAt: open ? state.openedAt : null,
    retryAfterMs: open ? Math.max(0, state.openUntil - now) : 0,
    generation: state.generation,
    activeCalls,
    mode,
    totals,
  }
}
