import type { CircuitBreakerOptions, CircuitState, Clock, Outcome } from '@tripswitch/core'

/**
 * A deliberately naive model of one local circuit breaker, written from DESIGN.md sections 2-3
 * (and the store contract for half-open leases), for the model-based test in model.test.ts.
 * It keeps every counted outcome in a plain array and recomputes totals from it, so it shares
 * no code and no data structure with the real windows.
 */

/** Per-run configuration of the breaker under test. */
export interface ModelConfig {
  /** Start time of the fake clock. */
  readonly start: number
  readonly strategy: 'consecutive' | 'rate'
  /** `consecutive`: failures in a row that trip. */
  readonly errorThreshold: number
  /** `rate`: size of the count window (the last N counted calls). */
  readonly windowSize: number
  /** `rate`: calls needed in the window before the rate can trip. */
  readonly minimumCalls: number
  /** `rate`: failure ratio that trips. */
  readonly failureRateThreshold: number
  readonly recoveryTimeout: number
  /** Backoff without jitter (so open durations are predictable), or none. */
  readonly backoff: { readonly multiplier: number; readonly maxRecoveryTimeout: number } | undefined
  readonly recoveryThreshold: number
  readonly halfOpenMaxCalls: number
  /** Longest half-open phase without a decision, in ms. */
  readonly halfOpenMaxWait: number
  /** Where a half-open phase that waited that long goes. */
  readonly afterHalfOpenWait: 'open' | 'closed'
}

/** The options that build the real breaker described by `config`. */
export function breakerOptions(config: ModelConfig, clock: Clock): CircuitBreakerOptions {
  const common: CircuitBreakerOptions = {
    name: 'model',
    clock,
    recoveryTimeout: config.recoveryTimeout,
    recoveryThreshold: config.recoveryThreshold,
    halfOpenMaxCalls: config.halfOpenMaxCalls,
    halfOpenMaxWait: config.halfOpenMaxWait,
    afterHalfOpenWait: config.afterHalfOpenWait,
    backoff: config.backoff === undefined ? undefined : { ...config.backoff, jitter: 0 },
  }
  if (config.strategy === 'consecutive') {
    return { ...common, strategy: 'consecutive', errorThreshold: config.errorThreshold }
  }
  return {
    ...common,
    strategy: 'rate',
    windowSize: config.windowSize,
    minimumCalls: config.minimumCalls,
    failureRateThreshold: config.failureRateThreshold,
  }
}

/** One admitted, not yet settled call, as the model sees it. */
export interface ModelPermit {
  readonly id: number
  /** Generation (transitions so far) when the call was admitted. */
  readonly generation: number
  readonly probe: boolean
  /** Admitted while disabled: never counted. */
  readonly uncounted: boolean
  readonly admittedAt: number
}

/** What the model predicts for one `acquire()`. */
export type Admission =
  | { readonly admitted: true; readonly permit: ModelPermit }
  | { readonly admitted: false; readonly state: CircuitState; readonly retryAfterMs: number }

/** The snapshot fields the model predicts. */
export interface ExpectedSnapshot {
  state: CircuitState
  calls: number
  failures: number
  successes: number
  slowCalls: number
  consecutiveFailures: number
  failureRate: number
  slowCallRate: number
  openedAt: number | null
  retryAfterMs: number
  generation: number
  activeCalls: number
}

export class BreakerModel {
  now: number
  state: CircuitState = 'closed'
  /** Grows by one on every transition, including the lazy open -> half_open one. */
  generation = 0
  /** Ms a half-open probe lease lives (the breaker asks for twice the recovery timeout). */
  readonly leaseMs: number
  /** Calls admitted and not settled, in admission order. */
  readonly inFlight: ModelPermit[] = []
  /** Every state change, as `from->to`, in order. */
  readonly transitions: string[] = []

  private openedAt = 0
  private openUntil = 0
  /** When the current half-open phase began. */
  private halfOpenSince = 0
  /** Openings since the circuit last closed (drives backoff). */
  private openings = 0
  /** Probe leases of the current half-open period: permit id -> expiry. */
  private readonly leases = new Map<number, number>()
  private probeSuccesses = 0
  /** Counted outcomes of the current closed period, oldest first (true = failure). */
  private outcomes: boolean[] = []
  private consecutiveFailures = 0
  private nextId = 1

  constructor(readonly config: ModelConfig) {
    this.now = config.start
    this.leaseMs = config.recoveryTimeout * 2
  }

  /** Milliseconds until a probe is allowed: 0 unless open. */
  get retryAfterMs(): number {
    return this.state === 'open' ? Math.max(0, this.openUntil - this.now) : 0
  }

  tick(ms: number): void {
    this.now += ms
  }

  /**
   * What asking (a call or a read) does first: an open circuit past its deadline becomes
   * half-open; a half-open one without a decision for `halfOpenMaxWait` leaves it.
   */
  private refresh(): void {
    if (this.state === 'open' && this.now >= this.openUntil) this.move('half_open')
    else if (
      this.state === 'half_open' &&
      this.now - this.halfOpenSince >= this.config.halfOpenMaxWait
    ) {
      if (this.config.afterHalfOpenWait === 'closed') this.move('closed')
      else this.trip()
    }
  }

  /** `acquire()`: admit, admit as a probe, or reject. */
  start(): Admission {
    this.refresh()
    switch (this.state) {
      case 'closed':
      case 'disabled':
        return { admitted: true, permit: this.admit(false) }
      case 'forced_open':
        return { admitted: false, state: 'forced_open', retryAfterMs: 0 }
      case 'open':
        return { admitted: false, state: 'open', retryAfterMs: this.openUntil - this.now }
      case 'half_open':
        break
    }
    // A lease that was never released frees its slot once it expires (a crashed prober).
    for (const [id, expiry] of this.leases) if (expiry <= this.now) this.leases.delete(id)
    if (this.leases.size >= this.config.halfOpenMaxCalls) {
      return { admitted: false, state: 'half_open', retryAfterMs: 0 }
    }
    const permit = this.admit(true)
    this.leases.set(permit.id, this.now + this.leaseMs)
    return { admitted: true, permit }
  }

  /** Settles the in-flight call at `index`. */
  settle(index: number, outcome: Outcome): ModelPermit {
    const [permit] = this.inFlight.splice(index, 1)
    if (permit === undefined) throw new Error(`no in-flight call at ${index}`)
    if (permit.uncounted) return permit
    if (permit.probe) {
      // Only a probe of the current half-open period whose lease is still held counts.
      const held =
        this.state === 'half_open' &&
        permit.generation === this.generation &&
        this.leases.delete(permit.id)
      if (!held) return permit
      if (outcome === 'failure') this.trip()
      else if (outcome === 'success' && ++this.probeSuccesses >= this.config.recoveryThreshold) {
        this.move('closed')
      }
      return permit
    }
    // Outcomes of calls admitted before the last transition describe an older circuit.
    if (outcome === 'ignore' || this.state !== 'closed' || permit.generation !== this.generation) {
      return permit
    }
    const failed = outcome === 'failure'
    this.outcomes.push(failed)
    this.consecutiveFailures = failed ? this.consecutiveFailures + 1 : 0
    if (this.shouldTrip()) this.trip()
    return permit
  }

  forceOpen(): void {
    this.move('forced_open')
  }

  disable(): void {
    this.move('disabled')
  }

  reset(): void {
    this.move('closed')
  }

  /** Reading the state moves a circuit past its deadline to half_open, as a call would. */
  snapshot(): ExpectedSnapshot {
    this.refresh()
    const window = this.window()
    const calls = window.length
    const failures = window.filter((failed) => failed).length
    return {
      state: this.state,
      calls,
      failures,
      successes: calls - failures,
      slowCalls: 0,
      consecutiveFailures: this.consecutiveFailures,
      failureRate: calls === 0 ? 0 : failures / calls,
      slowCallRate: 0,
      openedAt: this.state === 'open' ? this.openedAt : null,
      retryAfterMs: this.retryAfterMs,
      generation: this.generation,
      activeCalls: this.inFlight.length,
    }
  }

  /** The counted outcomes the trip rule looks at. */
  private window(): boolean[] {
    return this.config.strategy === 'rate'
      ? this.outcomes.slice(-this.config.windowSize)
      : this.outcomes
  }

  /** The documented open condition, checked after every counted outcome. */
  private shouldTrip(): boolean {
    const { config } = this
    if (config.strategy === 'consecutive') return this.consecutiveFailures >= config.errorThreshold
    const window = this.window()
    const failures = window.filter((failed) => failed).length
    return (
      window.length >= config.minimumCalls &&
      failures / window.length >= config.failureRateThreshold
    )
  }

  private admit(probe: boolean): ModelPermit {
    const permit: ModelPermit = {
      id: this.nextId++,
      generation: this.generation,
      probe,
      uncounted: this.state === 'disabled',
      admittedAt: this.now,
    }
    this.inFlight.push(permit)
    return permit
  }

  private trip(): void {
    const { recoveryTimeout, backoff } = this.config
    this.openings = this.state === 'half_open' ? this.openings + 1 : 1
    this.openedAt = this.now
    this.openUntil =
      this.now +
      (backoff === undefined
        ? recoveryTimeout
        : Math.min(
            recoveryTimeout * backoff.multiplier ** (this.openings - 1),
            backoff.maxRecoveryTimeout,
          ))
    this.move('open')
  }

  private move(to: CircuitState): void {
    if (to !== this.state) this.transitions.push(`${this.state}->${to}`)
    this.state = to
    if (to === 'half_open') this.halfOpenSince = this.now
    this.generation++
    this.leases.clear()
    this.probeSuccesses = 0
    if (to === 'closed' || to === 'forced_open' || to === 'disabled') this.openings = 0
    if (to === 'closed') {
      this.outcomes = []
      this.consecutiveFailures = 0
    }
  }
}
