import type { CircuitBreakerRegistry, CircuitState, Clock } from '@tripswitch/core'

/** What one call through the guarded path came back with. */
export interface CallAnswer {
  /** The caller got the offer. */
  readonly ok: boolean
  /** What the caller saw, for the log: `HTTP 502`, `HTTP 503 ERR_CIRCUIT_OPEN`, ... */
  readonly answer: string
}

/** The breaker's state as the adapter's registry reports it. */
export interface CircuitView {
  readonly state: CircuitState
  readonly retryAfterMs: number
}

/** A transition of the guarding breaker, as core's `stateChange` event reports it. */
export interface CircuitTransition {
  readonly from: CircuitState
  readonly to: CircuitState
}

/**
 * One adapter's take on the scenario: something that fetches an offer from the flaky upstream,
 * guarded by that adapter's circuit breaker (errorThreshold 3, recoveryTimeout 6 s, in-memory).
 */
export interface GuardedOffer {
  /** Fetches one offer through the guard. Never throws for an HTTP or circuit failure. */
  call(): Promise<CallAnswer>
  /** The guarding breaker's state, read from the adapter's registry. */
  circuit(): CircuitView
  /** Calls `listener` on every transition of the guarding breaker (open -> half_open -> ...). */
  onTransition(listener: (transition: CircuitTransition) => void): void
  /** The registry holding the guarding breaker (the demo's dashboard shows it). */
  readonly registry: CircuitBreakerRegistry
  /** Stops whatever the variant started (servers), so the process can exit on its own. */
  close(): Promise<void>
}

/** What a variant is given: where the upstream is, and the clock every breaker must use. */
export interface VariantSetup {
  readonly upstreamUrl: string
  readonly clock: Clock
}

/** A runnable variant of the scenario. */
export interface Variant {
  /** Shown in the header: which adapter guards what. */
  readonly description: string
  start(setup: VariantSetup): Promise<GuardedOffer>
}
