import type { CircuitState, Outcome } from '@tripswitch/core'
import type { ModelConfig } from './model-config.ts'

export { breakerOptions, type ModelConfig } from './model-config.ts'

/**
 * A deliberately naive model of one local circuit breaker, written from the core README
 * (Options, Breaker API, Snapshot, Events) and the store contract for half-open leases, for
 * the model-based test in model.test.ts. It keeps every counted outcome in a plain array and
 * recomputes the window from it, so it shares no code and no data structure with the real one.
 */

/** One admitted, not yet settled call, as the model sees it. */
export interface ModelPermit {
  readonly id: number
  /** Generation (transitions so far) when the call was admitted. */
  readonly generation: number
  readonly probe: boolean
  /** Admitted while disabled, or refused in shadow mode: never counted. */
  readonly uncounted: boolean
  readonly admittedAt: number
}

/** Why a call is refused: the circuit (open, half-open, forced open), or `maxConcurrent`. */
export type ModelRefusal =
  | {
      readonly code: 'ERR_CIRCUIT_OPEN'
      readonly state: CircuitState
      readonly retryAfterMs: number
    }
  | { readonly code: 'ERR_CIRCUIT_BUSY'; readonly maxConcurrent: number }

/** What the model predicts for one `acquire()`. */
export type Admission =
  | { readonly admitted: true; readonly permit: ModelPermit }
  | { readonly admitted: false; readonly refusal: ModelRefusal }

/** The `totals` of a snapshot. */
export interface ExpectedTotals {
  calls: number
  successful: number
  failed: number
  ignored: number
  notPermitted: number
  busy: number
  timeouts: number
  fallbacks: number
  slowCalls: number
  transitions: Record<string, number>
}

/** The whole snapshot, as the model predicts it. */
export interface ExpectedSnapshot {
  name: string
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
  mode: 'enforce' | 'shadow'
  totals: ExpectedTotals
}

/**
 * One `reject` event as a line of the event log: `reject open half_open 0`, `reject busy 2`,
 * with ` shadow` appended in shadow mode (the call ran anyway).
 */
export function rejectLine(refusal: ModelRefusal, shadow: boolean): string {
  const what =
    refusal.code === 'ERR_CIRCUIT_BUSY'
      ? `busy ${refusal.maxConcurrent}`
      : `open ${refusal.state} ${refusal.retryAfterMs}`
  return `reject ${what}${shadow ? ' shadow' : ''}`
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
  /** Every state change (`from->to`) and `reject` event (see {@link rejectLine}), in order. */
  readonly events: string[] = []

  private openedAt = 0
  private openUntil = 0
  /** When the current half-open phase began. */
  private halfOpenSince = 0
  /** Openings since the circuit last closed (drives backoff). */
  private openings = 0
  /** Probe leases of the current half-open period: permit id -> expiry. */
  private readonly leases = new Map<number, number>()
  private probeSuccesses = 0
  private probeFailures = 0
  /** Counted outcomes of the current closed period, oldest first (true = failure). */
  private outcomes: boolean[] = []
  private consecutiveFailures = 0
  private nextId = 1
  /** Everything but the transitions, which are counted from {@link events}. */
  private readonly counts = {
    calls: 0,
    successful: 0,
    failed: 0,
    ignored: 0,
    notPermitted: 0,
    busy: 0,
  }

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

  /** `acquire()`: admit, admit as a probe, or refuse (in shadow mode: admit uncounted). */
  start(): Admission {
    this.counts.calls++
    const { maxConcurrent } = this.config
    // The bulkhead is asked first, whatever the state: a busy call is not a circuit refusal.
    if (maxConcurrent !== undefined && this.inFlight.length >= maxConcurrent) {
      this.counts.busy++
      return this.refuse({ code: 'ERR_CIRCUIT_BUSY', maxConcurrent })
    }
    this.refresh()
    switch (this.state) {
      case 'closed':
      case 'disabled':
        return { admitted: true, permit: this.admit(false, this.state === 'disabled') }
      case 'forced_open':
        return this.refuseOpen(0)
      case 'open':
        return this.refuseOpen(this.openUntil - this.now)
      case 'half_open':
        break
    }
    // A lease that was never released frees its slot once it expires (a crashed prober).
    for (const [id, expiry] of this.leases) if (expiry <= this.now) this.leases.delete(id)
    if (this.leases.size >= this.config.halfOpenMaxCalls) return this.refuseOpen(0)
    const permit = this.admit(true, false)
    this.leases.set(permit.id, this.now + this.leaseMs)
    return { admitted: true, permit }
  }

  private refuseOpen(retryAfterMs: number): Admission {
    this.counts.notPermitted++
    return this.refuse({ code: 'ERR_CIRCUIT_OPEN', state: this.state, retryAfterMs })
  }

  /** Emits `reject`; in shadow mode the call runs anyway, as an ordinary uncounted call. */
  private refuse(refusal: ModelRefusal): Admission {
    const shadow = this.config.mode === 'shadow'
    this.events.push(rejectLine(refusal, shadow))
    return shadow
      ? { admitted: true, permit: this.admit(false, true) }
      : { admitted: false, refusal }
  }

  /** Settles the in-flight call at `index`. */
  settle(index: number, outcome: Outcome): ModelPermit {
    const [permit] = this.inFlight.splice(index, 1)
    if (permit === undefined) throw new Error(`no in-flight call at ${index}`)
    // The totals count every settled call, uncounted and outdated ones too.
    if (outcome === 'success') this.counts.successful++
    else if (outcome === 'failure') this.counts.failed++
    else this.counts.ignored++
    if (permit.uncounted) return permit
    if (permit.probe) this.settleProbe(permit, outcome)
    else this.settleCall(permit, outcome)
    return permit
  }

  private settleProbe(permit: ModelPermit, outcome: Outcome): void {
    // Only a probe of the current half-open period whose lease is still held counts.
    const held =
      this.state === 'half_open' &&
      permit.generation === this.generation &&
      this.leases.delete(permit.id)
    if (!held) return
    if (this.config.halfOpenSampling) this.sample(outcome)
    else if (outcome === 'failure') this.trip()
    else if (outcome === 'success' && ++this.probeSuccesses >= this.config.recoveryThreshold) {
      this.move('closed')
    }
  }

  /**
   * Half-open sampling: once `halfOpenMaxCalls` probes succeeded or failed (ignored ones only
   * free their slot), their failure rate reopens (>= failureRateThreshold) or closes.
   */
  private sample(outcome: Outcome): void {
    if (outcome === 'success') this.probeSuccesses++
    else if (outcome === 'failure') this.probeFailures++
    const calls = this.probeSuccesses + this.probeFailures
    if (calls < this.config.halfOpenMaxCalls) return
    if (this.probeFailures / calls >= this.config.failureRateThreshold) this.trip()
    else this.move('closed')
  }

  private settleCall(permit: ModelPermit, outcome: Outcome): void {
    // Outcomes of calls admitted before the last transition describe an older circuit.
    if (outcome === 'ignore' || this.state !== 'closed' || permit.generation !== this.generation) {
      return
    }
    const failed = outcome === 'failure'
    this.outcomes.push(failed)
    this.consecutiveFailures = failed ? this.consecutiveFailures + 1 : 0
    if (this.shouldTrip()) this.trip()
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
      name: 'model',
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
      mode: this.config.mode,
      totals: this.totals(),
    }
  }

  private totals(): ExpectedTotals {
    const transitions: Record<string, number> = {}
    for (const event of this.events) {
      if (!event.startsWith('reject')) transitions[event] = (transitions[event] ?? 0) + 1
    }
    return { ...this.counts, timeouts: 0, fallbacks: 0, slowCalls: 0, transitions }
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

  private admit(probe: boolean, uncounted: boolean): ModelPermit {
    const permit: ModelPermit = {
      id: this.nextId++,
      generation: this.generation,
      probe,
      uncounted,
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
    if (to !== this.state) this.events.push(`${this.state}->${to}`)
    this.state = to
    if (to === 'half_open') this.halfOpenSince = this.now
    this.generation++
    this.leases.clear()
    this.probeSuccesses = 0
    this.probeFailures = 0
    if (to === 'closed' || to === 'forced_open' || to === 'disabled') this.openings = 0
    if (to === 'closed') {
      this.outcomes = []
      this.consecutiveFailures = 0
    }
  }
}
