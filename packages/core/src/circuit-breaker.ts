import { asksForSignal } from './asks-for-signal.ts'
import { BreakerCore, type Decision, type Refusal } from './breaker-core.ts'
import { classifyError } from './classify.ts'
import { Deadlines } from './deadlines.ts'
import { InvalidOptionsError } from './errors.ts'
import type { CircuitBreakerOptions, ResolvedOptions } from './options.ts'
import { CallPermit, type Outcome, type Permit } from './permit.ts'
import { breakerName, resolveOptions } from './resolve-options.ts'
import { type CallOwner, type LeanCallOwner, SignalledCall, TimedCall } from './signalled-call.ts'
import { isPromise } from './store.ts'
import type { Tally } from './totals.ts'
import { objectWith, rejectUnknownKeys } from './validate.ts'

/** A guarded function: it receives a signal that aborts when the call times out. */
export type Guarded<T> = (signal: AbortSignal) => T | PromiseLike<T>

/** Options of one {@link CircuitBreaker.execute} call. */
export interface ExecuteOptions {
  /**
   * The caller's signal: aborted before the call, it is not made and nothing is counted;
   * aborted during it, `fn`'s signal aborts and the outcome is ignored. @default none
   */
  readonly signal?: AbortSignal
}

import { neverAborted } from './signals.ts'

// Calls without a timeout share one signal that never aborts: no allocation per call. It keeps
// no abort listener, so functions that add one per call do not make it grow.
const NEVER_ABORTED: AbortSignal = neverAborted()
const NO_ARGS: unknown[] = []

/** The lean paths a breaker's options allow (see `CircuitBreaker.leanPath`). */
type LeanPath = 0 | 1 | 2
const NOT_LEAN = 0
const LEAN = 1
const LEAN_TIMED = 2

/** The two outcome handlers of lean calls admitted in one generation, reused call after call. */
interface LeanHandlers {
  readonly generation: number
  /** The breaker's totals, held here so a lean call reaches them in one step. */
  readonly tally: Tally
  readonly success: () => void
  readonly failure: (error: unknown) => void
}

/**
 * A circuit breaker. Every call goes through {@link acquire} -> {@link Permit} -> settle;
 * {@link execute} and {@link wrap} are built on that. No timers: open -> half_open is decided
 * lazily by comparing the clock with the open deadline when the breaker is next asked.
 */
export class CircuitBreaker extends BreakerCore {
  private lean: LeanHandlers | null = null
  private deadlines: Deadlines | null = null
  /**
   * Which lean path the options allow (no fallback, result or error classifier, slow-call
   * measure or concurrency limit): {@link LEAN} without a timeout, {@link LEAN_TIMED} with one,
   * {@link NOT_LEAN} otherwise. One field for both, so an idle breaker pays for one.
   */
  private readonly leanPath: LeanPath

  /** @throws {InvalidOptionsError} when an option is invalid. */
  constructor(options: CircuitBreakerOptions = {}) {
    const o = resolveOptions(options)
    super(breakerName(options), o)
    const plain =
      o.fallback === undefined &&
      o.detectError === undefined &&
      o.isFailure === undefined &&
      o.slowCallMs === undefined &&
      o.maxConcurrent === undefined
    this.leanPath = !plain ? NOT_LEAN : o.timeout === undefined ? LEAN : LEAN_TIMED
  }

  /**
   * Asks for permission to make one call. Resolves with a {@link Permit} to settle exactly once;
   * rejects with {@link CircuitOpenError} when the circuit does not admit the call.
   */
  acquire(): Promise<Permit> {
    const admission = this.admit()
    if (isPromise(admission)) return admission.then(permitOrThrow)
    return admission instanceof CallPermit ? Promise.resolve(admission) : Promise.reject(admission)
  }

  /**
   * {@link acquire}, without the promise when the answer is known at once: a permit granted
   * synchronously is returned as is (always, with the in-memory state; with a shared store,
   * except while half-open probes are asked of it). Otherwise it returns what `acquire()` would:
   * a promise that resolves with the permit or rejects with {@link CircuitOpenError} /
   * {@link CircuitBusyError}. For adapters, which admit every request: no promise and no
   * microtask on the common path. Settle the permit exactly once, as from `acquire()`.
   */
  tryAcquire(): Permit | Promise<Permit> {
    const admission = this.admit()
    if (admission instanceof CallPermit) return admission
    return isPromise(admission) ? admission.then(permitOrThrow) : Promise.reject(admission)
  }

  /**
   * Runs `fn` under the breaker. With `timeout` set, `fn` gets a signal that aborts when the
   * call times out (without, a shared signal that never aborts). Rejects with
   * {@link CircuitOpenError} when refused, unless a `fallback` answers, and with a `TypeError`
   * (nothing counted) when `fn` is not a function.
   *
   * `options.signal` is the caller's own signal (cockatiel): already aborted, the call rejects
   * with its reason at once, `fn` does not run and nothing is counted; aborted during the call,
   * `fn`'s signal aborts, the call rejects with the reason and its outcome is ignored.
   */
  execute<T>(fn: Guarded<T>, options?: ExecuteOptions): Promise<T> {
    // Checked before admission: a caller's mistake is not the downstream's failure.
    if (typeof fn !== 'function') return Promise.reject(notAFunction('execute', fn))
    if (options === undefined) return this.run(fn, NO_ARGS)
    let signal: AbortSignal | undefined
    try {
      signal = callerSignal(options)
    } catch (error) {
      return Promise.reject(error)
    }
    if (signal?.aborted) return Promise.reject(signal.reason)
    return this.run(fn, NO_ARGS, signal)
  }

  /**
   * Returns `fn` guarded by this breaker, with the same parameters.
   * @throws {TypeError} when `fn` is not a function.
   */
  wrap<A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>): (...args: A) => Promise<R> {
    if (typeof fn !== 'function') throw notAFunction('wrap', fn)
    // The call made here passes fn its own arguments, never a signal: none is made for it.
    return (...args: A) => this.run(() => fn(...args), args, undefined, false)
  }

  /** `signalled`: false when fn is known to read no signal (it need not be read for one). */
  private run<T>(
    fn: Guarded<T>,
    args: unknown[],
    caller?: AbortSignal,
    signalled?: boolean,
  ): Promise<T> {
    const s = this.current
    const lean = this.leanPath
    if (s.state === 'closed' && lean !== NOT_LEAN && caller === undefined && !this.measures) {
      if (lean === LEAN) return this.runLean(fn, s.generation)
      return this.runTimed(fn, s.generation, signalled ?? asksForSignal(fn))
    }
    const admission = this.admit()
    if (isPromise(admission))
      return admission.then((a) => this.callAdmitted(a, fn, args, caller, signalled))
    return this.callAdmitted(admission, fn, args, caller, signalled)
  }

  // Lean calls need nothing but the outcome, so they skip the permit object: the options
  // allow it (leanPath) and nobody listens for durations (measures).
  private runLean<T>(fn: Guarded<T>, generation: number): Promise<T> {
    const handlers = this.leanHandlers(generation)
    handlers.tally.calls++
    this.inFlight++
    let promise: Promise<T>
    try {
      const result = fn(NEVER_ABORTED)
      promise = result instanceof Promise ? result : Promise.resolve(result)
    } catch (error) {
      handlers.failure(error)
      return Promise.reject(error)
    }
    // A side branch counts the outcome, so the caller gets fn's own promise and the call costs
    // one reaction instead of a chained promise.
    promise.then(handlers.success, handlers.failure)
    return promise
  }

  /**
   * A lean call with a timeout: {@link callWithSignal} without the permit. The call's one
   * object is its deadline entry and its answer; its outcome is counted by {@link leanOutcome}.
   */
  private runTimed<T>(fn: Guarded<T>, generation: number, signalled: boolean): Promise<T> {
    this.counts.calls++
    this.inFlight++
    const controller = signalled ? new AbortController() : null
    const timeout = this.options.timeout!
    // The timeout counts from the call, not from the end of fn's synchronous part.
    const deadline = this.options.clock.now() + timeout
    let result: T | PromiseLike<T>
    try {
      result = fn(controller === null ? NEVER_ABORTED : controller.signal)
    } catch (error) {
      result = Promise.reject(error)
    }
    // The breaker settles its own calls; the cast only reaches private members.
    const owner = this as unknown as LeanCallOwner
    return TimedCall.answer(owner, generation, controller, timeout, deadline, result)
  }

  /**
   * Counts the outcome of a lean timed call admitted in `generation`, as settling an unmeasured
   * permit would; returns what the caller gets (fn's value) or throws (its error, or the
   * classifier's when that throws).
   */
  protected leanOutcome(generation: number, ok: boolean, value: unknown): unknown {
    this.inFlight--
    if (ok) {
      this.counts.successful++
      if (this.emitter !== null) this.emitOutcome('success', undefined, 0)
      this.count(generation, 'success', Number.NaN, 0, undefined)
      return value
    }
    let outcome: Outcome
    try {
      outcome = classifyError(value, this.options)
    } catch (classifierError) {
      this.leanFailure(generation, 'failure', value)
      throw classifierError
    }
    this.leanFailure(generation, outcome, value)
    throw value
  }

  private leanFailure(generation: number, outcome: Outcome, error: unknown): void {
    // An outcome other than a failure carries no error, as a permit settled with it.
    const counted = outcome === 'failure' ? error : undefined
    this.tallyOutcome(outcome, counted, false)
    if (this.emitter !== null) this.emitOutcome(outcome, counted, 0)
    this.count(generation, outcome, Number.NaN, 0, counted)
  }

  private leanHandlers(generation: number): LeanHandlers {
    const cached = this.lean
    if (cached !== null && cached.generation === generation) return cached
    const tally = this.counts
    const handlers: LeanHandlers = {
      generation,
      tally,
      success: () => {
        this.inFlight--
        tally.successful++
        this.count(generation, 'success', Number.NaN, 0, undefined)
      },
      failure: (error) => {
        this.inFlight--
        const outcome = classifyOrFail(error, this.options)
        this.tallyOutcome(outcome, error, false)
        this.count(generation, outcome, Number.NaN, 0, error)
      },
    }
    this.lean = handlers
    return handlers
  }

  private callAdmitted<T>(
    admission: Decision,
    fn: Guarded<T>,
    args: unknown[],
    caller: AbortSignal | undefined,
    signalled: boolean | undefined,
  ): Promise<T> {
    if (!(admission instanceof CallPermit)) return this.refused(admission, args)
    const timeout = this.options.timeout
    if (timeout !== undefined || caller !== undefined)
      return this.callWithSignal(admission, fn, args, timeout, caller, signalled)
    let result: T | PromiseLike<T>
    try {
      result = fn(NEVER_ABORTED)
    } catch (error) {
      return new Promise<T>((resolve) => resolve(this.failed<T>(admission, error, args)))
    }
    return Promise.resolve(result).then(
      (value) => this.resolved(admission, value),
      (error: unknown) => this.failed<T>(admission, error, args),
    )
  }

  /**
   * A call with a `timeout` (a failure when it passes) or a caller's signal (the call is
   * ignored and rejects with the caller's reason at once when it aborts). `fn` gets a signal
   * that aborts in both cases, unless it declares no parameter to read it through (see
   * {@link asksForSignal}). The timeout waits on the breaker's one timer, not a timer per call.
   */
  private callWithSignal<T>(
    permit: CallPermit,
    fn: Guarded<T>,
    args: unknown[],
    timeout: number | undefined,
    caller: AbortSignal | undefined,
    signalled: boolean | undefined,
  ): Promise<T> {
    const asks = caller !== undefined || (signalled ?? asksForSignal(fn))
    const controller = asks ? new AbortController() : null
    // The timeout counts from the call, not from the end of fn's synchronous part.
    const deadline = timeout === undefined ? 0 : this.options.clock.now() + timeout
    let result: T | PromiseLike<T>
    try {
      result = fn(controller?.signal ?? NEVER_ABORTED)
    } catch (error) {
      result = Promise.reject(error)
    }
    // The breaker settles its own calls; the cast only reaches private members.
    const owner = this as unknown as CallOwner
    return SignalledCall.answer(owner, permit, args, controller, caller, timeout, deadline, result)
  }

  /** The deadlines of this breaker's timed calls, on one timer; made on the first timed call. */
  protected get timeouts(): Deadlines {
    this.deadlines ??= new Deadlines(this.options.clock)
    return this.deadlines
  }

  private resolved<T>(permit: CallPermit, value: T): T {
    let detected: boolean | undefined
    try {
      detected = this.options.detectError?.(value)
    } catch (error) {
      // A throwing classifier must not leak the permit: count a failure, surface its error.
      permit.failure(error)
      throw error
    }
    if (detected) permit.failure(undefined)
    else permit.success()
    return value
  }

  /** Settles a failed call; answers the fallback's value or throws. */
  private failed<T>(permit: CallPermit, error: unknown, args: unknown[]): T {
    let outcome: Outcome
    try {
      outcome = classifyError(error, this.options, args)
    } catch (classifierError) {
      permit.failure(error)
      throw classifierError
    }
    // Ignored, or a success (the downstream answered): counted as such, and the caller gets
    // the error itself, never the fallback.
    if (outcome !== 'failure') {
      permit.settle(outcome)
      throw error
    }
    permit.failure(error)
    return this.fallbackOrThrow<T>(error, args)
  }

  private refused<T>(error: Refusal, args: unknown[]): Promise<T> {
    if (this.options.fallback === undefined) return Promise.reject(error)
    return new Promise<T>((resolve) => resolve(this.fallbackOrThrow<T>(error, args)))
  }

  private fallbackOrThrow<T>(error: unknown, args: unknown[]): T {
    const fallback = this.options.fallback
    if (fallback === undefined) throw error
    this.counts.fallbacks++
    this.emitter?.emit('fallback', { name: this.name, error })
    return fallback(error, ...args) as T
  }
}

/**
 * {@link classifyError} for a call whose caller already has fn's own rejection: a classifier
 * that throws (a custom `Symbol.hasInstance`) counts the call as failed rather than leaving an
 * unhandled rejection behind.
 */
function classifyOrFail(error: unknown, options: ResolvedOptions): Outcome {
  try {
    return classifyError(error, options)
  } catch {
    return 'failure'
  }
}

function notAFunction(method: string, value: unknown): TypeError {
  const type = value === null ? 'null' : typeof value
  return new TypeError(`breaker.${method}() needs a function, but was given ${type}`)
}

function permitOrThrow(admission: Decision): Permit {
  if (!(admission instanceof CallPermit)) throw admission
  return admission
}

/** The caller's signal from `execute`'s options, checked. */
function callerSignal(options: ExecuteOptions): AbortSignal | undefined {
  objectWith([], 'an options object { signal? }')(options, 'options')
  rejectUnknownKeys(options, EXECUTE_KEYS)
  const signal = Object.hasOwn(options, 'signal') ? options.signal : undefined
  if (signal !== undefined && !isAbortSignal(signal))
    throw new InvalidOptionsError('signal', 'an AbortSignal', signal)
  return signal
}

const EXECUTE_KEYS: ReadonlySet<string> = new Set(['signal'])

function isAbortSignal(value: unknown): value is AbortSignal {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Partial<AbortSignal>
  return typeof v.aborted === 'boolean' && typeof v.addEventListener === 'function'
}
