import { BreakerCore } from './breaker-core.ts'
import { classifyError } from './classify.ts'
import { schedule } from './clock.ts'
import { CircuitOpenError, CircuitTimeoutError } from './errors.ts'
import type { CircuitBreakerOptions } from './options.ts'
import { CallPermit, type Outcome, type Permit } from './permit.ts'
import { breakerName, resolveOptions } from './resolve-options.ts'
import { isPromise } from './store.ts'

/** A guarded function: it receives a signal that aborts when the call times out. */
export type Guarded<T> = (signal: AbortSignal) => T | PromiseLike<T>

// Calls without a timeout share one signal that never aborts: no allocation per call.
const NEVER_ABORTED: AbortSignal = new AbortController().signal
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
   * Runs `fn` under the breaker. `fn` gets a signal that aborts on `timeout` (created only when
   * `fn` declares the parameter). Rejects with {@link CircuitOpenError} when refused, unless a
   * `fallback` answers.
   */
  execute<T>(fn: Guarded<T>): Promise<T> {
    return this.run(fn, NO_ARGS)
  }

  /** Returns `fn` guarded by this breaker, with the same parameters. */
  wrap<A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>): (...args: A) => Promise<R> {
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
      failure: (error) => settle(classifyError(error, this.options)),
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
    // An AbortController costs microseconds; make one only for a function that takes the signal.
    const controller = fn.length > 0 ? new AbortController() : null
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
          controller?.abort(error)
          settleWith(() => this.failed<T>(permit, error, args))
        },
        timeout,
      )
      new Promise<T>((inner) => inner(fn(controller?.signal ?? NEVER_ABORTED))).then(
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
      outcome = classifyError(error, this.options)
    } catch (classifierError) {
      permit.failure(error)
      throw classifierError
    }
    if (outcome === 'ignore') {
      permit.ignore()
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

function permitOrThrow(admission: CallPermit | CircuitOpenError): Permit {
  if (admission instanceof CircuitOpenError) throw admission
  return admission
}
