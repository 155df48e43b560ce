import {
  type CallEndMessage,
  type CallStartMessage,
  callEndChannel,
  callStartChannel,
  type RejectMessage,
  rejectChannel,
} from './diagnostics.ts'
import {
  type CircuitBusyError,
  type CircuitOpenError,
  createBusyError,
  createOpenError,
  isCircuitOpenError,
  isCircuitTimeoutError,
} from './errors.ts'
import type { ResolvedOptions } from './options.ts'
import { CallPermit, type Outcome, type PermitOwner } from './permit.ts'
import { SharedCircuit } from './shared-circuit.ts'
import { isPromise, type ProbeGrant, type ProbeReleaseResult } from './store.ts'
import type { BreakerState } from './transition.ts'
import { ratesReached, shouldTrip } from './trip.ts'
import { recordOutcome } from './window.ts'

/** A refusal: the circuit does not admit the call, or `maxConcurrent` calls are running. */
export type Refusal = CircuitOpenError | CircuitBusyError

/** What admission decides: a permit or a refusal. */
export type Decision = CallPermit | Refusal

/** Admission's answer: a decision, or (with a remote store) a decision later. */
export type Admission = Decision | Promise<Decision>

// Probe lease tokens must be unique across processes sharing a store.
const PROCESS_TOKEN = Math.random().toString(36).slice(2, 10)
let probeCounter = 0

/**
 * The admission half of a breaker: permits, refusals, probes and outcome counting, over the
 * state kept by {@link SharedCircuit}. {@link CircuitBreaker} adds the ways to make calls.
 */
export abstract class BreakerCore extends SharedCircuit {
  protected constructor(name: string, options: ResolvedOptions) {
    super(name, options)
  }

  /** Decides admission: a permit, a refusal, or (remote store, probing) one of them later. */
  protected admit(): Admission {
    this.counts.calls++
    const max = this.options.maxConcurrent
    if (max !== undefined && this.inFlight >= max) return this.busy(max)
    const s = this.current
    if (s.state === 'closed' || s.state === 'disabled') return this.admitIn(s)
    if (s.state === 'open') {
      const wait = s.openUntil - this.options.clock.now()
      if (wait > 0) return this.reject(wait)
      // Past the deadline: half-open now. The store may refuse (its deadline is later) and a
      // listener may move the circuit again: admission follows wherever it is now.
      this.enterHalfOpen()
    } else if (s.state === 'half_open') this.endLongHalfOpen(s)
    return this.admitIn(this.current)
  }

  private admitIn(s: BreakerState): Admission {
    if (s.state === 'closed' || s.state === 'disabled')
      return this.grant(s.generation, undefined, s.state === 'disabled')
    if (s.state === 'forced_open') return this.reject(0)
    if (s.state === 'open') return this.reject(Math.max(0, s.openUntil - this.options.clock.now()))
    return this.requestProbe()
  }

  /**
   * True when settling must measure durations (slow calls, or someone listens for them). A
   * diagnostics subscriber to calls counts too: it also keeps calls off the lean path, which
   * publishes nothing.
   */
  protected get measures(): boolean {
    const emitter = this.emitter
    return (
      this.options.slowCallMs !== undefined ||
      (emitter !== null && (emitter.has('success') || emitter.has('failure'))) ||
      callEndChannel?.hasSubscribers === true ||
      callStartChannel?.hasSubscribers === true
    )
  }

  private grant(generation: number, token: string | undefined, uncounted: boolean): CallPermit {
    this.inFlight++
    // The breaker settles its own permits; the cast only reaches a protected method.
    const owner = this as unknown as PermitOwner
    const measures = this.measures
    // Only a measured call is published (measures covers the subscribers): a call that started
    // unobserved does not end observed, and an unobserved call pays one check.
    if (measures && callStartChannel?.hasSubscribers)
      callStartChannel.publish({ name: this.name, breaker: this } satisfies CallStartMessage)
    // NaN, not 0, marks "not measured": 0 is a legitimate reading of an injected clock.
    const startedAt = measures ? this.options.clock.now() : Number.NaN
    return new CallPermit(owner, generation, startedAt, token, uncounted)
  }

  private reject(retryAfterMs: number): Decision {
    this.counts.notPermitted++
    return this.refuse(createOpenError(this.name, this.current.state, retryAfterMs))
  }

  private busy(maxConcurrent: number): Decision {
    this.counts.busy++
    return this.refuse(createBusyError(this.name, maxConcurrent))
  }

  /** Refuses with `error`; in shadow mode reports it and lets the call run, uncounted. */
  private refuse(error: Refusal): Decision {
    const shadow = this.options.mode === 'shadow'
    if (rejectChannel?.hasSubscribers) this.publishReject(error, shadow)
    this.emitter?.emit(
      'reject',
      shadow ? { name: this.name, error, shadow } : { name: this.name, error },
    )
    return shadow ? this.grant(this.current.generation, undefined, true) : error
  }

  private publishReject(error: Refusal, shadow: boolean): void {
    const retryAfterMs = isCircuitOpenError(error) ? error.retryAfterMs : 0
    const state = this.current.state
    const message = { name: this.name, error, state, retryAfterMs, shadow, breaker: this }
    rejectChannel?.publish(message satisfies RejectMessage)
  }

  private requestProbe(): Admission {
    const token = `${PROCESS_TOKEN}:${++probeCounter}`
    const { halfOpenMaxCalls: maxProbes, timeout, recoveryTimeout } = this.options
    // A lease outlives the call it guards, so a slow probe is not overtaken by a second one.
    const leaseMs = Math.max(timeout ?? 0, recoveryTimeout) * 2
    const asked = this.current
    const request = { generation: asked.generation, token, maxProbes, leaseMs }
    const grant = this.store().acquireProbe(this.name, request)
    if (!isPromise(grant)) return this.onGrant(grant, token, asked)
    return grant.then(
      (g) => this.onGrant(g, token, asked),
      (error: unknown) => {
        this.storeFailed(error)
        return this.reject(this.retryAfterMs)
      },
    )
  }

  private onGrant(grant: ProbeGrant, token: string, asked: BreakerState): Decision {
    // Denied while still open: the store's deadline is later than ours; the refusal tells it.
    this.answered(grant.state, asked, !grant.granted)
    const s = this.current
    if (grant.granted && s.state === 'half_open') return this.grant(s.generation, token, false)
    if (s.state === 'closed' || s.state === 'disabled')
      return this.grant(s.generation, undefined, s.state === 'disabled')
    return this.reject(this.retryAfterMs)
  }

  /** Called by a {@link CallPermit} when settled. */
  protected settle(
    permit: CallPermit,
    outcome: Outcome,
    error: unknown,
    retryAfterMs: number,
  ): void {
    this.inFlight--
    const measured = !Number.isNaN(permit.startedAt)
    const durationMs = measured ? this.options.clock.now() - permit.startedAt : 0
    const slowMs = this.options.slowCallMs
    const slow = measured && slowMs !== undefined && durationMs > slowMs
    this.tallyOutcome(outcome, error, slow)
    this.emitOutcome(outcome, error, durationMs)
    if (measured && callEndChannel?.hasSubscribers)
      callEndChannel.publish({
        name: this.name,
        outcome,
        error,
        durationMs,
        breaker: this,
      } satisfies CallEndMessage)
    if (permit.uncounted) return
    if (retryAfterMs > 0 && outcome === 'failure')
      this.holdFor(Math.min(retryAfterMs, this.options.maxRetryAfter))
    // A probe slower than slowCallMs counts against closing (resilience4j): a circuit that
    // opened because calls were slow does not close on a slow success.
    if (permit.token !== undefined)
      this.settleProbe(permit, this.probeOutcome(outcome, slow), slow, error)
    else
      this.count(
        permit.generation,
        outcome,
        measured ? permit.startedAt + durationMs : Number.NaN,
        durationMs,
        error,
      )
  }

  /** A slow successful probe fails, unless a sample's slow-call rate decides. */
  private probeOutcome(outcome: Outcome, slow: boolean): Outcome {
    return slow && outcome === 'success' && !this.options.halfOpenSampling ? 'failure' : outcome
  }

  /** Adds one settled call to the totals. */
  protected tallyOutcome(outcome: Outcome, error: unknown, slow: boolean): void {
    const counts = this.counts
    if (outcome === 'success') counts.successful++
    else if (outcome === 'ignore') counts.ignored++
    else {
      counts.failed++
      if (isCircuitTimeoutError(error)) counts.timeouts++
    }
    if (slow) counts.slowCalls++
  }

  /** Counts a closed-state outcome ended at clock time `endedAt` (NaN: not read yet). */
  protected count(
    generation: number,
    outcome: Outcome,
    endedAt: number,
    durationMs: number,
    error: unknown,
  ): void {
    if (outcome === 'ignore') return
    const s = this.current
    // Outcomes of calls admitted before the last transition describe an older circuit.
    if (s.state !== 'closed' || s.generation !== generation) return
    const slowMs = this.options.slowCallMs
    const slow = slowMs !== undefined && durationMs > slowMs
    const failed = outcome === 'failure'
    // Only a time window needs the time; the counting strategies skip the clock read.
    const now =
      this.window.kind !== 'time' ? 0 : Number.isNaN(endedAt) ? this.options.clock.now() : endedAt
    recordOutcome(this.window, failed, slow, now)
    // A store that shares outcomes gets them as a delta counter: no I/O per call.
    const pending = this.pending
    if (pending !== null) {
      if (!failed && !slow) pending.successes++
      else if (pending.add(failed, slow)) this.tracking?.flush()
    }
    // The window's running counters are current after recording: decide on them, no copy.
    // Under 'rate' a success can trip too: it may bring the window up to minimumCalls.
    const mayTrip = failed || slow || this.options.strategy === 'rate'
    if (mayTrip && shouldTrip(this.window, this.options))
      this.trip('threshold', failed ? error : undefined)
  }

  /** Tells listeners how a call ended (`durationMs` 0 when not measured). */
  protected emitOutcome(outcome: Outcome, error: unknown, durationMs: number): void {
    if (this.emitter === null || outcome === 'ignore') return
    if (outcome === 'success') {
      this.emitter.emit('success', { name: this.name, durationMs })
      return
    }
    // Timeouts are reported here, so an adapter's own timeout (a permit failed with a
    // CircuitTimeoutError) emits the same event as execute()'s.
    if (isCircuitTimeoutError(error))
      this.emitter.emit('timeout', { name: this.name, timeoutMs: error.timeout })
    this.emitter.emit('failure', { name: this.name, error, durationMs })
  }

  private settleProbe(permit: CallPermit, outcome: Outcome, slow: boolean, error: unknown): void {
    const release = { generation: permit.generation, token: permit.token!, outcome, slow }
    const asked = this.current
    const result = this.store().releaseProbe(this.name, release)
    if (isPromise(result))
      void result.then(
        (r) => this.onProbeReleased(r, permit, outcome, asked, error),
        (error: unknown) => this.storeFailed(error),
      )
    else this.onProbeReleased(result, permit, outcome, asked, error)
  }

  private onProbeReleased(
    result: ProbeReleaseResult,
    permit: CallPermit,
    outcome: Outcome,
    asked: BreakerState,
    error: unknown,
  ): void {
    this.answered(result.state, asked)
    const s = this.current
    if (!result.held || s.state !== 'half_open' || s.generation !== permit.generation) return
    if (this.options.halfOpenSampling) this.decideSample(result, error)
    else if (outcome === 'failure') this.trip('probe-failed', error)
    else if (outcome === 'success' && result.successes >= this.options.recoveryThreshold)
      this.move({ type: 'close' }, 0, false)
  }

  /**
   * Half-open sampling: once `halfOpenMaxCalls` probes have counted, reopen when their failure
   * or slow-call rate reaches its threshold, close otherwise.
   */
  private decideSample(result: ProbeReleaseResult, error: unknown): void {
    const failures = result.failures ?? 0
    const calls = result.successes + failures
    if (calls < this.options.halfOpenMaxCalls) return
    const sample = { calls, failures, slowCalls: result.slowCalls ?? 0 }
    if (ratesReached(sample, this.options)) this.trip('probe-failed', error)
    else this.move({ type: 'close' }, 0, false)
  }
}
