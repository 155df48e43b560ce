import type { CircuitState } from './state.ts'

/**
 * Counts since a breaker was created (opossum `stats`, resilience4j metrics), in
 * `snapshot().totals`. Plain integers, never reset (a `reset()` neither); exporters read them
 * at scrape time and compute rates from their differences.
 */
export interface CircuitTotals {
  /** Calls asked for: admitted, refused and busy ones. */
  readonly calls: number
  /** Calls that counted as a success. */
  readonly successful: number
  /** Calls that counted as a failure (timeouts included). */
  readonly failed: number
  /** Calls that counted as neither (an error in `ignoreErrors`, an aborted request). */
  readonly ignored: number
  /** Calls refused because the circuit was open, half-open with its probes taken, or forced open. */
  readonly notPermitted: number
  /** Calls refused because `maxConcurrent` calls were already running. */
  readonly busy: number
  /** Calls that failed with `CircuitTimeoutError`. */
  readonly timeouts: number
  /** Times the `fallback` answered in place of a call. */
  readonly fallbacks: number
  /** Calls slower than `slowCallMs`. */
  readonly slowCalls: number
  /** Transitions by edge, keyed `from->to` (e.g. `closed->open`). */
  readonly transitions: Readonly<Record<string, number>>
}

/** The mutable counters behind {@link CircuitTotals}; made on a breaker's first call. */
export class Tally {
  calls = 0
  successful = 0
  failed = 0
  ignored = 0
  notPermitted = 0
  busy = 0
  timeouts = 0
  fallbacks = 0
  slowCalls = 0
  private edges: Map<string, number> | null = null

  /** Counts one transition `from -> to`. */
  transition(from: CircuitState, to: CircuitState): void {
    this.edges ??= new Map()
    const edge = `${from}->${to}`
    this.edges.set(edge, (this.edges.get(edge) ?? 0) + 1)
  }

  /** A JSON-safe copy. */
  read(): CircuitTotals {
    const transitions: Record<string, number> = {}
    if (this.edges !== null) for (const [edge, n] of this.edges) transitions[edge] = n
    const { calls, successful, failed, ignored, notPermitted, busy, timeouts, fallbacks } = this
    const slowCalls = this.slowCalls
    return {
      calls,
      successful,
      failed,
      ignored,
      notPermitted,
      busy,
      timeouts,
      fallbacks,
      slowCalls,
      transitions,
    }
  }
}

/** The totals of a breaker that was never called. */
export const NO_TOTALS: CircuitTotals = Object.freeze({
  calls: 0,
  successful: 0,
  failed: 0,
  ignored: 0,
  notPermitted: 0,
  busy: 0,
  timeouts: 0,
  fallbacks: 0,
  slowCalls: 0,
  transitions: Object.freeze({}),
})
