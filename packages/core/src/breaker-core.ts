import { openDuration } from './classify.ts'
import { type CircuitOpenError, createOpenError, isCircuitTimeoutError } from './errors.ts'
import { type CircuitBreakerEvents, Emitter, type Listener, type Unsubscribe } from './events.ts'
import { MemoryStore } from './memory-store.ts'
import type { ResolvedOptions } from './options.ts'
import { PendingOutcomes } from './outcome-feed.ts'
import { CallPermit, type Outcome, type PermitOwner } from './permit.ts'
import { type CircuitSnapshot, snapshotOf } from './snapshot.ts'
import type { CircuitState } from './state.ts'
import type {
  OutcomeTracking,
  ProbeGrant,
  ProbeReleaseResult,
  RecordResult,
  SharedState,
  StateStore,
} from './store.ts'
import {
  type BreakerEvent,
  type BreakerState,
  INITIAL_STATE,
  openingsOf,
  transition,
} from './transition.ts'
import { shouldTrip } from './trip.ts'
import {
  createWindow,
  hasLiveFailures,
  readTotals,
  recordOutcome,
  type WindowData,
} from './window.ts'

/** Admission's answer: a permit, a refusal, or (with a remote store) either later. */
export type Admission = CallPermit | CircuitOpenError | Promise<CallPermit | CircuitOpenError>

/** True for a pending answer; in-process stores answer synchronously. */
export const isPromise = <T>(value: T | Promise<T>): value is Promise<T> => value instanceof Promise

// Probe lease tokens must be unique across processes sharing a store.
const PROCESS_TOKEN = Math.random().toString(36).slice(2, 10)
let probeCounter = 0

/**
 * The state machine half of a breaker: admission, outcome counting, transitions and the
 * sharing of state through a store. {@link CircuitBreaker} adds the ways to make calls.
 */
export abstract class BreakerCore {
  /** Name of the circuit. */
  readonly name: string
  protected readonly options: ResolvedOptions
  protected current: BreakerState = INITIAL_STATE
  protected window: WindowData
  protected emitter: Emitter<CircuitBreakerEvents> | null = null
  protected inFlight = 0
  private sharedStore: StateStore | null
  private unsubscribeStore: Unsubscribe | null = null
  /** Outcomes not yet flushed, for a store that aggregates them; null otherwise. */
  private pending: PendingOutcomes | null = null
  private tracking: OutcomeTracking | null = null

  protected constructor(name: string, options: ResolvedOptions) {
    this.name = name
    this.options = options
    this.window = createWindow(options)
    this.sharedStore = options.store ?? null
    const { onOpen, onClose, onHalfOpen } = options
    if (onOpen) this.on('open', onOpen)
    if (onClose) this.on('close', onClose)
    if (onHalfOpen) this.on('halfOpen', onHalfOpen)
    if (this.sharedStore !== null) this.attachStore(this.sharedStore)
  }

  /** Current state. An open circuit whose deadline passed stays `open` until next asked. */
  get state(): CircuitState {
    return this.current.state
  }

  /** Milliseconds until a probe is allowed; 0 unless open. */
  get retryAfterMs(): number {
    const s = this.current
    return s.state === 'open' ? Math.max(0, s.openUntil - this.options.clock.now()) : 0
  }

  /** Calls admitted and not yet settled. */
  get activeCalls(): number {
    return this.inFlight
  }

  /** The resolved options of this breaker (frozen, possibly shared with other breakers). */
  get settings(): ResolvedOptions {
    return this.options
  }

  /**
   * True when the circuit holds nothing worth keeping: closed, no calls in flight, and no
   * failures that could still trip it. The registry evicts only idle breakers.
   */
  get idle(): boolean {
    if (this.current.state !== 'closed' || this.inFlight !== 0) return false
    return !hasLiveFailures(this.window, this.options.strategy, this.options.clock.now())
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof CircuitBreakerEvents>(
    event: K,
    listener: Listener<CircuitBreakerEvents[K]>,
  ): Unsubscribe {
    this.emitter ??= new Emitter()
    return this.emitter.on(event, listener)
  }

  /** Rejects every call until {@link reset}. */
  forceOpen(): void {
    this.move({ type: 'forceOpen' }, 0, true)
  }

  /** Admits every call and counts nothing until {@link reset}. */
  disable(): void {
    this.move({ type: 'disable' }, 0, true)
  }

  /** Closes the circuit and forgets its counts and backoff. */
  reset(): void {
    this.move({ type: 'reset' }, 0, true)
  }

  /** A JSON-safe picture of the circuit. */
  snapshot(): CircuitSnapshot {
    const now = this.options.clock.now()
    return snapshotOf(this.name, this.current, readTotals(this.window, now), now, this.inFlight)
  }

  /** Stops listening to a shared store. The breaker keeps working on local state. */
  dispose(): void {
    this.unsubscribeStore?.()
    this.unsubscribeStore = null
    this.tracking?.stop()
    this.tracking = null
    this.pending = null
  }

  /** Decides admission: a permit, a refusal, or (remote store, probing) one of them later. */
  protected admit(): Admission {
    const s = this.current
    if (s.state === 'closed' || s.state === 'disabled')
      return this.grant(s.generation, undefined, s.state === 'disabled')
    if (s.state === 'forced_open') return this.reject(0)
    if (s.state === 'open') {
      const wait = s.openUntil - this.options.clock.now()
      if (wait > 0) return this.reject(wait)
    }
    return this.requestProbe()
  }

  /** True when settling must measure durations (slow calls, or someone listens for them). */
  protected get measures(): boolean {
    const emitter = this.emitter
    return (
      this.options.slowCallMs !== undefined ||
      (emitter !== null && (emitter.has('success') || emitter.has('failure')))
    )
  }

  private grant(generation: number, token: string | undefined, uncounted: boolean): CallPermit {
    this.inFlight++
    // The breaker settles its own permits; the cast only reaches a protected method.
    const owner = this as unknown as PermitOwner
    // NaN, not 0, marks "not measured": 0 is a legitimate reading of an injected clock.
    const startedAt = this.measures ? this.options.clock.now() : Number.NaN
    return new CallPermit(owner, generation, startedAt, token, uncounted)
  }

  private reject(retryAfterMs: number): CircuitOpenError {
    const error = createOpenError(this.name, this.current.state, retryAfterMs)
    this.emitter?.emit('reject', { name: this.name, error })
    return error
  }

  private requestProbe(): Admission {
    const token = `${PROCESS_TOKEN}:${++probeCounter}`
    const { halfOpenMaxCalls: maxProbes, timeout, recoveryTimeout } = this.options
    // A lease outlives the call it guards, so a slow probe is not overtaken by a second one.
    const leaseMs = Math.max(timeout ?? 0, recoveryTimeout) * 2
    const request = { generation: this.current.generation, token, maxProbes, leaseMs }
    const grant = this.store().acquireProbe(this.name, request)
    if (!isPromise(grant)) return this.onGrant(grant, token)
    return grant.then(
      (g) => this.onGrant(g, token),
      (error: unknown) => {
        this.storeFailed(error)
        return this.reject(this.retryAfterMs)
      },
    )
  }

  private onGrant(grant: ProbeGrant, token: string): CallPermit | CircuitOpenError {
    this.adopt(grant.state)
    const s = this.current
    if (grant.granted && s.state === 'half_open') return this.grant(s.generation, token, false)
    if (s.state === 'closed' || s.state === 'disabled')
      return this.grant(s.generation, undefined, s.state === 'disabled')
    return this.reject(this.retryAfterMs)
  }

  /** Called by a {@link CallPermit} when settled. */
  protected settle(permit: CallPermit, outcome: Outcome, error: unknown): void {
    this.inFlight--
    const measured = !Number.isNaN(permit.startedAt)
    const durationMs = measured ? this.options.clock.now() - permit.startedAt : 0
    this.emitOutcome(outcome, error, durationMs)
    if (permit.uncounted) return
    if (permit.token !== undefined) this.settleProbe(permit, outcome)
    else
      this.count(
        permit.generation,
        outcome,
        measured ? permit.startedAt + durationMs : Number.NaN,
        durationMs,
      )
  }

  /** Counts a closed-state outcome ended at clock time `endedAt` (NaN: not read yet). */
  protected count(generation: number, outcome: Outcome, endedAt: number, durationMs: number): void {
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
    if (mayTrip && shouldTrip(this.window, this.options)) this.trip()
  }

  private emitOutcome(outcome: Outcome, error: unknown, durationMs: number): void {
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

  private settleProbe(permit: CallPermit, outcome: Outcome): void {
    const release = { generation: permit.generation, token: permit.token!, outcome }
    const result = this.store().releaseProbe(this.name, release)
    if (isPromise(result))
      void result.then(
        (r) => this.onProbeReleased(r, permit, outcome),
        (error: unknown) => this.storeFailed(error),
      )
    else this.onProbeReleased(result, permit, outcome)
  }

  private onProbeReleased(result: ProbeReleaseResult, permit: CallPermit, outcome: Outcome): void {
    this.adopt(result.state)
    const s = this.current
    if (!result.held || s.state !== 'half_open' || s.generation !== permit.generation) return
    if (outcome === 'failure') this.trip()
    else if (outcome === 'success' && result.successes >= this.options.recoveryThreshold)
      this.move({ type: 'close' }, 0, false)
  }

  private trip(): void {
    const openForMs = openDuration(this.options, openingsOf(this.current) + 1, Math.random)
    this.move({ type: 'trip', now: this.options.clock.now(), openForMs }, openForMs, false)
  }

  /** Applies `event` locally at once, then proposes it to the store (compare-and-set). */
  private move(event: BreakerEvent, openForMs: number, forced: boolean): void {
    const from = this.current
    const next = transition(from, event)
    this.apply(next)
    const fromGeneration = forced ? null : from.generation
    const request = { fromGeneration, to: next.state, openForMs, openings: openingsOf(next) }
    const answer = this.store().transition(this.name, request)
    if (isPromise(answer))
      void answer.then(
        (shared) => this.adopt(shared),
        (error: unknown) => this.storeFailed(error),
      )
    else this.adopt(answer)
  }

  /** Decides over the shared totals a store returned for a flushed batch (same trip rule). */
  private onShared(result: RecordResult): void {
    this.adopt(result.state)
    const s = this.current
    if (!result.counted || s.state !== 'closed' || s.generation !== result.state.generation) return
    if (result.quorum !== false && shouldTrip(result.totals, this.options)) this.trip()
  }

  private storeFailed(error: unknown): void {
    this.emitter?.emit('storeError', { name: this.name, error })
  }

  /**
   * Takes a shared state that is newer than ours (another breaker won, or moved on), or any
   * state the store marks `resync` (it answered from a fallback, or Redis came back).
   */
  private adopt(shared: SharedState): void {
    const s = this.current
    if (shared.generation < s.generation && shared.resync !== true) return
    if (shared.generation === s.generation && shared.state === s.state) return
    this.apply(fromShared(shared, this.options.clock.now()))
  }

  protected apply(next: BreakerState): void {
    const from = this.current.state
    const generationChanged = this.current.generation !== next.generation
    this.current = next
    if (next.state === 'closed') this.window = createWindow(this.options)
    if (generationChanged) this.pending?.reset(next.generation)
    if (from === next.state || this.emitter === null) return
    const name = this.name
    this.emitter.emit('stateChange', { name, from, to: next.state })
    if (next.state === 'open') this.emitter.emit('open', { name, retryAfterMs: this.retryAfterMs })
    else if (next.state === 'closed') this.emitter.emit('close', { name })
    else if (next.state === 'half_open') this.emitter.emit('halfOpen', { name })
  }

  /** The shared store, or a private one made on first need (an idle breaker never pays for it). */
  private store(): StateStore {
    this.sharedStore ??= new MemoryStore({ clock: this.options.clock })
    return this.sharedStore
  }

  private attachStore(store: StateStore): void {
    this.unsubscribeStore = store.subscribe(
      this.name,
      (shared) => this.adopt(shared),
      (error) => this.storeFailed(error),
    )
    if (store.track !== undefined) {
      this.pending = new PendingOutcomes(
        this.options,
        (result) => this.onShared(result),
        () => this.window.consecutiveFailures,
      )
      this.tracking = store.track(this.name, this.pending)
    }
    const initial = store.read(this.name)
    if (isPromise(initial))
      void initial.then(
        (shared) => this.adopt(shared),
        (error: unknown) => this.storeFailed(error),
      )
    else this.adopt(initial)
  }
}

function fromShared(shared: SharedState, now: number): BreakerState {
  const { generation, openings } = shared
  switch (shared.state) {
    case 'open':
      return {
        state: 'open',
        generation,
        openedAt: now,
        openUntil: now + shared.retryAfterMs,
        openings,
      }
    case 'half_open':
      return { state: 'half_open', generation, openings }
    default:
      return { state: shared.state, generation }
  }
}
