import { openDuration } from './classify.ts'
import { type TransitionMessage, transitionChannel } from './diagnostics.ts'
import {
  type CircuitBreakerEvents,
  Emitter,
  type Listener,
  type OpenReason,
  type Unsubscribe,
} from './events.ts'
import { MemoryStore } from './memory-store.ts'
import type { ResolvedOptions } from './options.ts'
import { PendingOutcomes } from './outcome-feed.ts'
import { type CircuitSnapshot, snapshotOf } from './snapshot.ts'
import type { CircuitState } from './state.ts'
import {
  isPromise,
  type OutcomeTracking,
  type RecordResult,
  type SharedState,
  type StateStore,
} from './store.ts'
import { NO_TOTALS, Tally } from './totals.ts'
import {
  type BreakerEvent,
  type BreakerState,
  INITIAL_STATE,
  openingsOf,
  transition,
} from './transition.ts'
import { shouldTrip } from './trip.ts'
import { createWindow, hasLiveFailures, readTotals, type WindowData } from './window.ts'

/**
 * The shared-state half of a breaker: its state and window, transitions, events, and keeping
 * that state in step with a store. {@link BreakerCore} adds admission and outcome counting.
 */
export abstract class SharedCircuit {
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
  protected pending: PendingOutcomes | null = null
  protected tracking: OutcomeTracking | null = null
  /** Clock time before which a failed callee asked not to be called (Retry-After); 0: none. */
  protected holdUntil = 0
  /** Transitions applied and not yet told to listeners (see {@link announce}). */
  private unannounced: Unannounced[] | null = null
  /** Counts since creation; made on the first call or transition (an idle breaker pays a null). */
  protected tally: Tally | null = null

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

  /**
   * Current state. An open circuit whose deadline has passed reads `half_open` (and emits
   * `halfOpen`) on this read: no timer, and no call is needed for the state to move on.
   */
  get state(): CircuitState {
    return this.live().state
  }

  /** Milliseconds until a probe is allowed; 0 unless open. */
  get retryAfterMs(): number {
    const s = this.live()
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

  /** Rejects every call until {@link reset}. Emits `open` (reason `forced`) and `stateChange`. */
  forceOpen(): void {
    this.move({ type: 'forceOpen' }, 0, true, FORCED)
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
    const state = this.live()
    const now = this.options.clock.now()
    const circuit = { name: this.name, mode: this.options.mode, activeCalls: this.inFlight }
    const totals = this.tally?.read() ?? NO_TOTALS
    return snapshotOf(circuit, state, readTotals(this.window, now), now, totals)
  }

  /** The counters since creation, made on first need. */
  protected get counts(): Tally {
    this.tally ??= new Tally()
    return this.tally
  }

  /** Stops listening to a shared store. The breaker keeps working on local state. */
  dispose(): void {
    this.unsubscribeStore?.()
    this.unsubscribeStore = null
    this.tracking?.stop()
    this.tracking = null
    this.pending = null
  }

  /** Opens the circuit for `reason`; `error` is the failure that decided it, if any. */
  protected trip(reason: OpenReason, error: unknown): void {
    const now = this.options.clock.now()
    let openForMs = openDuration(this.options, openingsOf(this.current) + 1, Math.random)
    // The callee's own Retry-After outranks a shorter recovery timeout; the store shares it.
    const held = Math.ceil(this.holdUntil - now)
    let why = reason
    if (held > openForMs) {
      openForMs = held
      why = 'retry-after'
    }
    this.holdUntil = 0
    this.move({ type: 'trip', now, openForMs }, openForMs, false, { reason: why, error })
  }

  /** Remembers that the callee asked not to be called for `retryAfterMs` (the longest wins). */
  protected holdFor(retryAfterMs: number): void {
    const until = this.options.clock.now() + retryAfterMs
    if (until > this.holdUntil) this.holdUntil = until
  }

  /**
   * Applies `event` locally at once, proposes it to the store (compare-and-set), and only then
   * tells listeners: a listener that moves the breaker again (reset() in an `open` listener)
   * proposes its move after this one, so breaker and store see the same order.
   */
  protected move(
    event: BreakerEvent,
    openForMs: number,
    forced: boolean,
    cause: OpenCause = FROM_STORE,
  ): void {
    const from = this.current
    const next = transition(from, event)
    this.apply(next, cause)
    const fromGeneration = forced ? null : from.generation
    const request = { fromGeneration, to: next.state, openForMs, openings: openingsOf(next) }
    const answer = this.store().transition(this.name, request)
    if (isPromise(answer))
      void answer.then(
        (shared) => this.answered(shared, next),
        (error: unknown) => this.storeFailed(error),
      )
    else this.answered(answer, next, true)
    this.announce()
  }

  /**
   * Moves an open circuit whose deadline has passed to half_open: on read, or before asking the
   * store for a probe. No timer: the clock is compared when someone asks. The move goes to the
   * store like any other, so breaker and store keep counting the same transitions.
   */
  protected live(): BreakerState {
    const s = this.current
    if (s.state === 'open' && this.options.clock.now() >= s.openUntil) this.enterHalfOpen()
    else if (s.state === 'half_open') this.endLongHalfOpen(s)
    return this.current
  }

  /** Proposes open -> half_open; a store whose own deadline is later refuses it. */
  protected enterHalfOpen(): void {
    this.move({ type: 'halfOpen', now: this.options.clock.now() }, 0, false)
  }

  /**
   * A half-open phase that found no decision within `halfOpenMaxWait` (probes ignored, aborted
   * or never settling) ends: reopened, or closed when so configured. Never waits forever.
   */
  protected endLongHalfOpen(s: Extract<BreakerState, { state: 'half_open' }>): void {
    if (this.options.clock.now() - s.since < this.options.halfOpenMaxWait) return
    if (this.options.afterHalfOpenWait === 'closed') this.move({ type: 'close' }, 0, false)
    else this.trip('half-open-timeout', undefined)
  }

  /** Decides over the shared totals a store returned for a flushed batch (same trip rule). */
  private onShared(result: RecordResult): void {
    this.adopt(result.state)
    const s = this.current
    if (!result.counted || s.state !== 'closed' || s.generation !== result.state.generation) return
    if (result.quorum !== false && shouldTrip(result.totals, this.options))
      this.trip('threshold', undefined)
  }

  protected storeFailed(error: unknown): void {
    this.emitter?.emit('storeError', { name: this.name, error })
  }

  /**
   * The store's answer to a request this breaker made while in state `asked`. When nothing
   * moved here since, the answer is the truth whatever its generation: a breaker whose local
   * move the store refused (it was ahead, or the store forgot) takes the store's state and
   * generation rather than staying apart from it.
   */
  protected answered(shared: SharedState, asked: BreakerState, followDeadline = false): void {
    if (this.current === asked && shared.generation < asked.generation)
      this.adopt({ ...shared, resync: true })
    else this.adopt(shared, followDeadline)
  }

  /**
   * Takes a shared state that is newer than ours (another breaker won, or moved on), or any
   * state the store marks `resync` (it answered from a fallback, or Redis came back).
   */
  protected adopt(shared: SharedState, followDeadline = false): void {
    const s = this.current
    if (shared.generation < s.generation && shared.resync !== true) return
    if (shared.generation === s.generation && shared.state === s.state) {
      if (followDeadline && s.state === 'open') this.followDeadline(s, shared.retryAfterMs)
      return
    }
    this.apply(fromShared(shared, this.options.clock.now()))
    this.announce()
  }

  /**
   * Takes the store's deadline for the current opening: ours came from an earlier clock read.
   * Only for answers that reflect it exactly: a store answering in the same tick (so a caller
   * who waited `retryAfterMs` is not then refused by the store), and a denied probe (so the
   * refusal says how long). A late answer (Redis slow, a fallback after a timeout) would
   * otherwise stretch the opening by its delay.
   */
  private followDeadline(s: Extract<BreakerState, { state: 'open' }>, retryAfterMs: number): void {
    const openUntil = this.options.clock.now() + retryAfterMs
    if (openUntil !== s.openUntil) this.current = { ...s, openUntil }
  }

  /** Sets the state; listeners hear of it at the next {@link announce}. */
  protected apply(next: BreakerState, cause: OpenCause = FROM_STORE): void {
    const from = this.current.state
    const generationChanged = this.current.generation !== next.generation
    this.current = next
    if (next.state === 'closed') this.window = createWindow(this.options)
    if (generationChanged) this.pending?.reset(next.generation)
    if (from === next.state) return
    this.counts.transition(from, next.state)
    if (transitionChannel?.hasSubscribers) this.publishTransition(from, next, cause)
    if (this.emitter === null) return
    this.unannounced ??= []
    this.unannounced.push({ from, to: next, cause })
  }

  /**
   * Tells listeners of the transitions applied so far, in order. Called once the store has been
   * told; a listener that moves the breaker queues its transition behind the ones being
   * announced (no nested announcing), so every listener sees transitions in the order they
   * happened.
   */
  protected announce(): void {
    const queue = this.unannounced
    if (queue === null || announcing.has(this)) return
    announcing.add(this)
    try {
      for (let next = queue.shift(); next; next = queue.shift()) this.emitTransition(next)
    } finally {
      announcing.delete(this)
    }
  }

  private publishTransition(from: CircuitState, to: BreakerState, cause: OpenCause): void {
    const opened = to.state === 'open' || to.state === 'forced_open'
    transitionChannel?.publish({
      name: this.name,
      from,
      to: to.state,
      reason: opened ? cause.reason : undefined,
      openUntil: to.state === 'open' ? to.openUntil : null,
      breaker: this,
    } satisfies TransitionMessage)
  }

  private emitTransition({ from, to, cause }: Unannounced): void {
    const emitter = this.emitter
    if (emitter === null) return
    const name = this.name
    emitter.emit('stateChange', { name, from, to: to.state })
    const { reason, error } = cause
    // From the state's own times, not a second clock read that may already be a tick later.
    if (to.state === 'open')
      emitter.emit('open', { name, retryAfterMs: to.openUntil - to.openedAt, reason, error })
    else if (to.state === 'forced_open')
      emitter.emit('open', { name, retryAfterMs: 0, reason, error })
    else if (to.state === 'closed') emitter.emit('close', { name })
    else if (to.state === 'half_open') emitter.emit('halfOpen', { name })
  }

  /** The shared store, or a private one made on first need (an idle breaker never pays for it). */
  protected store(): StateStore {
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

/** Why the next state was taken, for the `open` event. */
interface OpenCause {
  readonly reason: OpenReason
  readonly error: unknown
}

interface Unannounced {
  readonly from: CircuitState
  readonly to: BreakerState
  readonly cause: OpenCause
}

/**
 * Breakers telling their listeners right now. A set rather than a field: it is empty almost
 * always, and a field would cost every idle breaker 8 bytes.
 */
const announcing = new Set<SharedCircuit>()

const FROM_STORE: OpenCause = { reason: 'store', error: undefined }
const FORCED: OpenCause = { reason: 'forced', error: undefined }

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
      return { state: 'half_open', generation, openings, since: now }
    default:
      return { state: shared.state, generation }
  }
}
