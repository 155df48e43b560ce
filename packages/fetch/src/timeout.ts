import { type CircuitBreaker, CircuitTimeoutError, schedule } from '@tripswitch/core'
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
  const controller = new AbortController()
  let error: CircuitTimeoutError | undefined
  const cancel = schedule(
    breaker.settings.clock,
    () => {
      error = new CircuitTimeoutError(breaker.name, timeout)
      controller.abort(error)
    },
    timeout,
  )
  const unfollow = caller === undefined ? undefined : follow(caller, controller)
  return {
    signal: controller.signal,
    get error() {
      return error
    },
    cancel,
    release() {
      cancel()
      unfollow?.()
    },
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
