import { BreakerCore } from './breaker-core.ts'
import { classifyError } from './classify.ts'
import { schedule } from './clock.ts'
import { CircuitOpenError, CircuitTimeoutError } from './errors.ts'
import type { CircuitBreakerOptions, ResolvedOptions } from './options.ts'
import { CallPermit, type Outcome, type Permit } from './permit.ts'
import { breakerName, resolveOptions } from './resolve-options.ts'
import { isPromise } from './store.ts'

/** A guarded function: it receives a signal that aborts when the call times out. */
export type Guarded<T> = (signal: AbortSignal) => T | PromiseLike<T>

import { neverAborted } from './signals.ts'

// Calls without a timeout share one signal that never aborts: no allocation per call. It keeps
// no abort listener, so functions that add one per call do not make it grow.
const NEVER_ABORTED: AbortSignal = neverAborted()
const NO_ARGS: unknown[] = []

/** The two outcome handlers of lean calls admitted in one generation, reused call after call. */
interface LeanHandlers {
  readonly generation: number
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
  /** Options allow lean calls: no timeout, fallback, classifier or slow-call measure. */
  private readonly leanOptions: boolean

  /** @throws {InvalidOptionsError} when an option is invalid. */
  constructor(options: CircuitBreakerOptions = {}) {
    const o = resolveOptions(options)
    super(breakerName(options), o)
    this.leanOptions =
      o.timeout === undefined &&
      o.fallback === undefined &&
      o.detectError === undefined &&
      o.isFailure === undefined &&
      o.slowCallMs === undefined
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
   * Runs `fn` under the breaker. With `timeout` set, `fn` gets a signal that aborts when the
   * call times out (without, a shared signal that never aborts). Rejects with
   * {@link CircuitOpenError} when refused, unless a `fallback` answers, and with a `TypeError`
   * (nothing counted) when `fn` is not a function.
   */
  execute<T>(fn: Guarded<T>): Promise<T> {
    // Checked before admission: a caller's mistake is not the downstream's failure.
    if (typeof fn !== 'function') return Promise.reject(notAFunction('execute', fn))
    return this.run(fn, NO_ARGS)
  }

  /**
   * Returns `fn` guarded by this breaker, with the same parameters.
   * @throws {TypeError} when `fn` is not a function.
   */
  wrap<A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>): (...args: A) => Promise<R> {
    if (typeof fn !== 'function') throw notAFunction('wrap', fn)
    return (...args: A) => this.run(() => fn(...args), args)
  }

  private run<T>(fn: Guarded<T>, args: unknown[]): Promise<T> {
    const s = this.current
    if (s.state === 'closed' && this.leanOptions && !this.measures)
      return this.runLean(fn, s.generation)
    const admission = this.admit()
    if (isPromise(admission)) return admission.then((a) => this.callAdmitted(a, fn, args))
    return this.callAdmitted(admission, fn, args)
  }

  // Lean calls need nothing but the outcome, so they skip the permit object: the options
  // allow it (leanOptions) and nobody listens for durations (measures).
  private runLean<T>(fn: Guarded<T>, generation: number): Promise<T> {
    this.inFlight++
    const handlers = this.leanHandlers(generation)
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

  private leanHandlers(generation: number): LeanHandlers {
    const cached = this.lean
    if (cached !== null && cached.generation === generation) return cached
    const settle = (outcome: Outcome) => {
      this.inFlight--
      this.count(generation, outcome, Number.NaN, 0)
    }
    const handlers: LeanHandlers = {
      generation,
      success: () => settle('success'),
      failure: (error) => settle(classifyOrFail(error, this.options)),
    }
    this.lean = handlers
    return handlers
  }

  private callAdmitted<T>(
    admission: CallPermit | CircuitOpenError,
    fn: Guarded<T>,
    args: unknown[],
  ): Promise<T> {
    if (!(admission instanceof CallPermit)) return this.refused(admission, args)
    const timeout = this.options.timeout
    if (timeout !== undefined) return this.callWithTimeout(admission, fn, args, timeout)
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

  private callWithTimeout<T>(
    permit: CallPermit,
    fn: Guarded<T>,
    args: unknown[],
    timeout: number,
  ): Promise<T> {
    // Whether fn reads its signal cannot be told from fn.length ((...args) and (signal = x)
    // declare 0), so every call with a timeout gets one that aborts.
    const controller = new AbortController()
    return new Promise<T>((resolve, reject) => {
      const settleWith = (answer: () => T) => {
        try {
          resolve(answer())
        } catch (error) {
          reject(error)
        }
      }
      const cancel = schedule(
        this.options.clock,
        () => {
          if (permit.done) return
          const error = new CircuitTimeoutError(this.name, timeout)
          controller.abort(error)
          settleWith(() => this.failed<T>(permit, error, args))
        },
        timeout,
      )
      new Promise<T>((inner) => inner(fn(controller.signal))).then(
        (value) => {
          if (permit.done) return
          cancel()
          settleWith(() => this.resolved(permit, value))
        },
        (error: unknown) => {
          if (permit.done) return
          cancel()
          settleWith(() => this.failed<T>(permit, error, args))
        },
      )
    })
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

  private refused<T>(error: CircuitOpenError, args: unknown[]): Promise<T> {
    if (this.options.fallback === undefined) return Promise.reject(error)
    return new Promise<T>((resolve) => resolve(this.fallbackOrThrow<T>(error, args)))
  }

  private fallbackOrThrow<T>(error: unknown, args: unknown[]): T {
    const fallback = this.options.fallback
    if (fallback === undefined) throw error
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

function permitOrThrow(admission: CallPermit | CircuitOpenError): Permit {
  if (admission instanceof CircuitOpenError) throw admission
  return admission
}
