import { classifyError, openDuration } from './classify.ts'
import { schedule } from './clock.ts'
import { CircuitOpenError, CircuitTimeoutError, isCircuitTimeoutError } from './errors.ts'
import { type CircuitBreakerEvents, Emitter, type Listener, type Unsubscribe } from './events.ts'
import { MemoryStore } from './memory-store.ts'
import type { CircuitBreakerOptions, ResolvedOptions } from './options.ts'
import { CallPermit, type Outcome, type Permit, type PermitOwner } from './permit.ts'
import { resolveOptions } from './resolve-options.ts'
import { type CircuitSnapshot, snapshotOf } from './snapshot.ts'
import type { CircuitState } from './state.ts'
import type { ProbeGrant, ProbeReleaseResult, SharedState, StateStore } from './store.ts'
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

/** A guarded function: it receives a signal that aborts when the call times out. */
export type Guarded<T> = (signal: AbortSignal) => T | PromiseLike<T>

// Calls without a timeout share one signal that never aborts: no allocation per call.
const NEVER_ABORTED: AbortSignal = new AbortController().signal

const isPromise = <T>(value: T | Promise<T>): value is Promise<T> => value instanceof Promise

// Probe lease tokens must be unique across processes sharing a store.
const PROCESS_TOKEN = Math.random().toString(36).slice(2, 10)
let probeCounter = 0

/**
 * A circuit breaker. Every call goes through {@link acquire} -> {@link Permit} -> settle;
 * {@link execute} and {@link wrap} are built on that. No timers: open -> half_open is decided
 * lazily by comparing the clock with the open deadline when the breaker is next asked.
 */
export class CircuitBreaker {
  /** Name of the circuit. */
  readonly name: string
  private readonly options: ResolvedOptions
  private current: BreakerState = INITIAL_STATE
  private window: WindowData
  private emitter: Emitter<CircuitBreakerEvents> | null = null
  private sharedStore: StateStore | null
  private unsubscribeStore: Unsubscribe | null = null
  private inFlight = 0
  private readonly owner: PermitOwner

  /** @throws {InvalidOptionsError} when an option is invalid. */
  constructor(options: CircuitBreakerOptions = {}) {
    const resolved = resolveOptions(options)
    this.name = resolved.name
    this.options = resolved
    this.window = createWindow(resolved)
    this.sharedStore = resolved.store ?? null
    this.owner = { settle: (permit, outcome, error) => this.settle(permit, outcome, error) }
    this.subscribeShortcuts()
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

  /** The resolved options of this breaker (frozen). */
  get settings(): ResolvedOptions {
    return this.options
  }

  /**
   * Asks for permission to make one call. Resolves with a {@link Permit} to settle exactly once;
   * rejects with {@link CircuitOpenError} when the circuit does not admit the call.
   */
  acquire(): Promise<Permit> {
    try {
      const permit = this.admit()
      return isPromise(permit) ? permit : Promise.resolve(permit)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * Runs `fn` under the breaker. `fn` gets a signal that aborts on `timeout`. Rejects with
   * {@link CircuitOpenError} when refused (or answers with `fallback`).
   */
  execute<T>(fn: Guarded<T>): Promise<T> {
    return this.run(fn, [])
  }

  /** Returns `fn` guarded by this breaker, with the same parameters. */
  wrap<A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>): (...args: A) => Promise<R> {
    return (...args: A) => this.run(() => fn(...args), args)
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

  /**
   * True when the circuit holds nothing worth keeping: closed, no calls in flight, and no
   * failures that could still trip it. The registry evicts only idle breakers.
   */
  get idle(): boolean {
    if (this.current.state !== 'closed' || this.inFlight !== 0) return false
    return !hasLiveFailures(this.window, this.options.strategy, this.options.clock.now())
  }

  /** Stops listening to a shared store. The breaker keeps working on local state. */
  dispose(): void {
    this.unsubscribeStore?.()
    this.unsubscribeStore = null
  }

  private run<T>(fn: Guarded<T>, args: unknown[]): Promise<T> {
    let permit: CallPermit | Promise<CallPermit>
    try {
      permit = this.admit()
    } catch (error) {
      return this.refused(error, args)
    }
    if (isPromise(permit)) {
      return permit.then(
        (p) => this.call(p, fn, args),
        (error: unknown) => this.refused(error, args),
      )
    }
    return this.call(permit, fn, args)
  }

  private call<T>(permit: CallPermit, fn: Guarded<T>, args: unknown[]): Promise<T> {
    const timeout = this.options.timeout
    if (timeout !== undefined) return this.callWithTimeout(permit, fn, args, timeout)
    let result: T | PromiseLike<T>
    try {
      result = fn(NEVER_ABORTED)
    } catch (error) {
      return this.failed(permit, error, args)
    }
    return Promise.resolve(result).then(
      (value) => this.resolved(permit, value),
      (error: unknown) => this.failed(permit, error, args),
    )
  }

  private callWithTimeout<T>(
    permit: CallPermit,
    fn: Guarded<T>,
    args: unknown[],
    timeout: number,
  ): Promise<T> {
    const controller = new AbortController()
    return new Promise<T>((resolve, reject) => {
      const onTimeout = () => {
        if (permit.done) return
        const error = new CircuitTimeoutError(this.name, timeout)
        controller.abort(error)
        this.failed<T>(permit, error, args).then(resolve, reject)
      }
      const clear = schedule(this.options.clock, onTimeout, timeout)
      new Promise<T>((inner) => inner(fn(controller.signal))).then(
        (value) => {
          if (permit.done) return
          clear()
          try {
            resolve(this.resolved(permit, value))
          } catch (error) {
            reject(error)
          }
        },
        (error: unknown) => {
          if (permit.done) return
          clear()
          this.failed<T>(permit, error, args).then(resolve, reject)
        },
      )
    })
  }

  private resolved<T>(permit: CallPermit, value: T): T {
    const detect = this.options.detectError
    let detected: boolean | undefined
    try {
      detected = detect?.(value)
    } catch (error) {
      // A throwing classifier must not leak the permit: count a failure, surface its error.
      permit.failure(error)
      throw error
    }
    if (detected) permit.failure(undefined)
    else permit.success()
    return value
  }

  private failed<T>(permit: CallPermit, error: unknown, args: unknown[]): Promise<T> {
    let outcome: Outcome
    try {
      outcome = classifyError(error, this.options)
    } catch (classifierError) {
      permit.failure(error)
      return Promise.reject(classifierError)
    }
    if (outcome === 'ignore') {
      permit.ignore()
      return Promise.reject(error)
    }
    permit.failure(error)
    return this.fallbackOr(error, args)
  }

  private refused<T>(error: unknown, args: unknown[]): Promise<T> {
    return this.fallbackOr(error, args)
  }

  private fallbackOr<T>(error: unknown, args: unknown[]): Promise<T> {
    const fallback = this.options.fallback
    if (fallback === undefined) return Promise.reject(error)
    this.emitter?.emit('fallback', { name: this.name, error })
    return new Promise<T>((resolve) => resolve(fallback(error, ...args) as T))
  }

  /** Decides admission; throws CircuitOpenError, or answers a permit (later, for a remote store). */
  private admit(): CallPermit | Promise<CallPermit> {
    const s = this.current
    if (s.state === 'closed' || s.state === 'disabled')
      return this.grant(s.generation, undefined, s.state === 'disabled')
    if (s.state === 'forced_open') throw this.reject(0)
    if (s.state === 'open') {
      const wait = s.openUntil - this.options.clock.now()
      if (wait > 0) throw this.reject(wait)
    }
    return this.requestProbe()
  }

  private grant(generation: number, token: string | undefined, uncounted: boolean): CallPermit {
    this.inFlight++
    const measure = this.options.slowCallMs !== undefined || this.emitter !== null
    return new CallPermit(
      this.owner,
      generation,
      // NaN, not 0, marks "not measured": 0 is a legitimate reading of an injected clock.
      measure ? this.options.clock.now() : Number.NaN,
      token,
      uncounted,
    )
  }

  private reject(retryAfterMs: number): CircuitOpenError {
    const error = new CircuitOpenError(this.name, this.current.state, retryAfterMs)
    this.emitter?.emit('reject', { name: this.name, error })
    return error
  }

  private requestProbe(): CallPermit | Promise<CallPermit> {
    const token = `${PROCESS_TOKEN}:${++probeCounter}`
    const request = {
      generation: this.current.generation,
      token,
      maxProbes: this.options.halfOpenMaxCalls,
      leaseMs: this.leaseMs(),
    }
    const grant = this.store().acquireProbe(this.name, request)
    return isPromise(grant) ? grant.then((g) => this.onGrant(g, token)) : this.onGrant(grant, token)
  }

  private onGrant(grant: ProbeGrant, token: string): CallPermit {
    this.adopt(grant.state)
    const s = this.current
    if (grant.granted && s.state === 'half_open') return this.grant(s.generation, token, false)
    if (s.state === 'closed' || s.state === 'disabled')
      return this.grant(s.generation, undefined, s.state === 'disabled')
    throw this.reject(this.retryAfterMs)
  }

  /** A lease outlives the call it guards, so a slow probe is not overtaken by a second one. */
  private leaseMs(): number {
    return Math.max(this.options.timeout ?? 0, this.options.recoveryTimeout) * 2
  }

  private settle(permit: CallPermit, outcome: Outcome, error: unknown): void {
    this.inFlight--
    const measured = !Number.isNaN(permit.startedAt)
    const durationMs = measured ? this.options.clock.now() - permit.startedAt : 0
    this.emitOutcome(outcome, error, durationMs)
    if (permit.uncounted) return
    if (permit.token !== undefined) {
      this.settleProbe(permit, outcome)
      return
    }
    if (outcome === 'ignore') return
    const s = this.current
    // Outcomes of calls admitted before the last transition describe an older circuit.
    if (s.state !== 'closed' || s.generation !== permit.generation) return
    const slowMs = this.options.slowCallMs
    const slow = slowMs !== undefined && durationMs > slowMs
    const failed = outcome === 'failure'
    // Only a time window needs the time; the counting strategies skip the clock read.
    const now =
      this.window.kind !== 'time'
        ? 0
        : measured
          ? permit.startedAt + durationMs
          : this.options.clock.now()
    recordOutcome(this.window, failed, slow, now)
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
    if (isPromise(result)) void result.then((r) => this.onProbeReleased(r, permit, outcome))
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
    const request = {
      fromGeneration: forced ? null : from.generation,
      to: next.state,
      openForMs,
      openings: openingsOf(next),
    }
    const answer = this.store().transition(this.name, request)
    if (isPromise(answer)) void answer.then((shared) => this.adopt(shared))
    else this.adopt(answer)
  }

  /** Takes a shared state that is newer than ours (another breaker won, or moved on). */
  private adopt(shared: SharedState): void {
    const s = this.current
    if (shared.generation < s.generation) return
    if (shared.generation === s.generation && shared.state === s.state) return
    this.apply(fromShared(shared, this.options.clock.now()))
  }

  private apply(next: BreakerState): void {
    const from = this.current.state
    this.current = next
    if (next.state === 'closed') this.window = createWindow(this.options)
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
    this.unsubscribeStore = store.subscribe(this.name, (shared) => this.adopt(shared))
    const initial = store.read(this.name)
    if (isPromise(initial)) void initial.then((shared) => this.adopt(shared))
    else this.adopt(initial)
  }

  private subscribeShortcuts(): void {
    const { onOpen, onClose, onHalfOpen } = this.options
    if (onOpen) this.on('open', onOpen)
    if (onClose) this.on('close', onClose)
    if (onHalfOpen) this.on('halfOpen', onHalfOpen)
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
