import { type CircuitBreaker, CircuitTimeoutError, schedule } from '@tripswitch/core'

/** A request's deadline: its signal aborts with a `CircuitTimeoutError` when it passes. */
export interface Deadline {
  readonly signal: AbortSignal
  /** The timeout error, once the deadline has passed; undefined before. */
  readonly error: CircuitTimeoutError | undefined
  /** Stops the timer (the answer came in time). */
  cancel(): void
}

/**
 * Starts a `timeout` ms deadline on the breaker's clock, so a test clock moves it too. The
 * permit failed with its error counts a timeout (core emits `timeout`, `totals.timeouts`).
 */
export function startDeadline(breaker: CircuitBreaker, timeout: number): Deadline {
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
  return {
    signal: controller.signal,
    get error() {
      return error
    },
    cancel,
  }
}

/**
 * The signal to send with: the deadline's, composed with the caller's when there is one.
 * `AbortSignal.any` holds its sources weakly and adds no listener to the caller's signal, so a
 * long-lived caller signal used for many requests accumulates nothing.
 */
export function composeSignal(deadline: Deadline, caller: AbortSignal | undefined): AbortSignal {
  return caller === undefined ? deadline.signal : AbortSignal.any([caller, deadline.signal])
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
