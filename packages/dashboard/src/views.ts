import type { BreakerMode, CircuitSnapshot, CircuitState, CircuitTotals } from '@tripswitch/core'
import { NO_TOTALS } from '@tripswitch/core/adapter'

/** One circuit of this instance, as the API and the event stream show it. */
export interface CircuitView {
  /** Name of the circuit. */
  readonly name: string
  /** Current state. */
  readonly state: CircuitState
  /** `enforce`, or `shadow` (reports what it would do, refuses nothing). */
  readonly mode: BreakerMode
  /** failures / calls in the current window, 0 to 1. */
  readonly failureRate: number
  /** slowCalls / calls in the current window, 0 to 1. */
  readonly slowCallRate: number
  /** Calls counted in the current window. */
  readonly calls: number
  /** Failures counted in the current window. */
  readonly failures: number
  /** Slow calls counted in the current window. */
  readonly slowCalls: number
  /** Failures since the last success. */
  readonly consecutiveFailures: number
  /** Milliseconds until a probe is allowed; 0 unless open. */
  readonly retryAfterMs: number
  /** Calls admitted and not yet settled. */
  readonly activeCalls: number
  /** Transitions so far. */
  readonly generation: number
  /** Counts since the breaker was created. */
  readonly totals: CircuitTotals
  /** Calls per second, from the growth of `totals.calls` between samples; 0 at first. */
  readonly callsPerSecond: number
}

/** An instance reporting a circuit of the fleet. */
export interface FleetInstanceView {
  /** The instance's id. */
  readonly id: string
  /** Its last heartbeat, epoch ms. */
  readonly lastSeen: number
}

/** A circuit as the shared store knows it, across every instance. */
export interface FleetCircuitView {
  /** Name of the circuit. */
  readonly name: string
  /** Shared state. */
  readonly state: CircuitState
  /** Shared transition count. */
  readonly generation: number
  /** Milliseconds until a probe is allowed; 0 unless open. */
  readonly retryAfterMs: number
  /** Consecutive openings (grows the backoff). */
  readonly openings: number
  /** The instances holding a breaker for it. */
  readonly instances: readonly FleetInstanceView[]
}

/** What `GET /api/circuits` answers and each `snapshot` event carries. */
export interface DashboardState {
  /** This instance: the store's `instanceId` when it has one, else `hostname:pid`. */
  readonly instance: string
  /** True when actions can be allowed (an `authorize` option was given). */
  readonly canAct: boolean
  /** When this was produced, epoch ms. */
  readonly at: number
  /** This instance's circuits, sorted by name. */
  readonly circuits: readonly CircuitView[]
  /** Every circuit of the shared store, sorted by name; null without a fleet-capable store. */
  readonly fleet: readonly FleetCircuitView[] | null
}

/** A transition, as shown: never the error that caused it. */
export interface TransitionView {
  /** Name of the circuit. */
  readonly name: string
  /** State before. */
  readonly from: CircuitState
  /** State after. */
  readonly to: CircuitState
  /**
   * Why: for an opening, core's reason (`threshold`, `probe-failed`, `half-open-timeout`,
   * `retry-after`, `forced`, `store`); otherwise `recovery-timeout` (open to half-open),
   * `probe-succeeded` (half-open to closed), `reset` (to closed from elsewhere) or `disabled`.
   */
  readonly reason: string
  /** When it happened, epoch ms. */
  readonly at: number
}

/** One history sample of a circuit. */
export interface HistorySample {
  /** When it was taken, epoch ms. */
  readonly at: number
  /** Failure rate of the window then, 0 to 1. */
  readonly failureRate: number
  /** Slow-call rate of the window then, 0 to 1. */
  readonly slowCallRate: number
  /** Calls per second since the previous sample. */
  readonly callsPerSecond: number
}

/** What `GET /api/circuits/:name` answers. */
export interface CircuitDetail extends CircuitView {
  /** Samples of the last 5 minutes, oldest first. */
  readonly history: readonly HistorySample[]
  /** The last 50 transitions, oldest first. */
  readonly transitions: readonly TransitionView[]
  /** The circuit as the shared store knows it; null without a fleet or when the store has none. */
  readonly fleet: FleetCircuitView | null
}

/** Builds the view of a local circuit from its snapshot. */
export function circuitView(snapshot: CircuitSnapshot, callsPerSecond: number): CircuitView {
  return {
    name: snapshot.name,
    state: snapshot.state,
    mode: snapshot.mode,
    failureRate: snapshot.failureRate,
    slowCallRate: snapshot.slowCallRate,
    calls: snapshot.calls,
    failures: snapshot.failures,
    slowCalls: snapshot.slowCalls,
    consecutiveFailures: snapshot.consecutiveFailures,
    retryAfterMs: snapshot.retryAfterMs,
    activeCalls: snapshot.activeCalls,
    generation: snapshot.generation,
    totals: snapshot.totals,
    callsPerSecond,
  }
}

/** The view of a circuit only the shared store knows: its shared state, no local counts. */
export function fleetOnlyView(fleet: FleetCircuitView): CircuitView {
  return {
    name: fleet.name,
    state: fleet.state,
    mode: 'enforce',
    failureRate: 0,
    slowCallRate: 0,
    calls: 0,
    failures: 0,
    slowCalls: 0,
    consecutiveFailures: 0,
    retryAfterMs: fleet.retryAfterMs,
    activeCalls: 0,
    generation: fleet.generation,
    totals: NO_TOTALS,
    callsPerSecond: 0,
  }
}

/** Orders by name, by UTF-16 code units (stable across locales). */
export function byName(a: { readonly name: string }, b: { readonly name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0
}
