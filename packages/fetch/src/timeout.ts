import { type CircuitBreaker, CircuitTimeoutError } from '@tripswitch/core'
import { schedule } from '@tripswitch/core/adapter'
import { follow } from './follow.ts'

/** A request's deadline: its signal aborts with a `CircuitTimeoutError` when it passes. */
export interface Deadline {
  /** The signal to send with: aborts at the deadline, and when the caller's signal aborts. */
  readonly signal: AbortSignal
  /** The timeout error, once the deadline has passed; undefined before. */
  readonly error: CircuitTimeoutError | undefined
  /** Stops the timer (the answer came in time); the caller's signal still aborts the body. */
  cancel(): void
  /** Stops the timer and stops following the caller's signal (the request is over). */
  release(): void
}

/**
 * Starts a `timeout` ms deadline on the breaker's clock, so a test clock moves it too, composed
 * with the caller's signal. The permit failed with its error counts a timeout (core emits
 * `timeout`, `totals.timeouts`).
 */
export function startDeadline(
  breaker: CircuitBreaker,
  timeout: number,
  caller: AbortSignal | undefined,
): Deadline {
  return new RequestDeadline(breaker, timeout, caller)
}

// A class rather than an object literal with a getter: one is created per timed request, and
// V8 builds literals with accessors slowly.
class RequestDeadline implements Deadline {
  error: CircuitTimeoutError | undefined = undefined
  readonly signal: AbortSignal
  private readonly stop: () => void
  private readonly unfollow: (() => void) | undefined

  constructor(breaker: CircuitBreaker, timeout: number, caller: AbortSignal | undefined) {
    const controller = new AbortController()
    this.signal = controller.signal
    this.stop = schedule(
      breaker.settings.clock,
      () => {
        this.error = new CircuitTimeoutError(breaker.name, timeout)
        controller.abort(this.error)
      },
      timeout,
    )
    this.unfollow = caller === undefined ? undefined : follow(caller, controller)
  }

  cancel(): void {
    this.stop()
  }

  release(): void {
    this.stop()
    this.unfollow?.()
  }
}

/** `value`, or a rejection with the deadline's error if the deadline passes first. */
export function untilDeadline<T>(value: T | Promise<T>, deadline: Deadline): Promise<T> {
  if (!(value instanceof Promise)) return Promise.resolve(value)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(deadline.error)
    if (deadline.signal.aborted) return onAbort()
    deadline.signal.addEventListener('abort', onAbort, { once: true })
    const done = () => deadline.signal.removeEventListener('abort', onAbort)
    value.then(
      (result) => {
        done()
        resolve(result)
      },
      (error: unknown) => {
        done()
        reject(error)
      },
    )
  })
}
