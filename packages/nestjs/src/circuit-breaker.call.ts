import type { CallHandler, ExecutionContext } from '@nestjs/common'
import {
  type CircuitBreaker,
  filterThrownError,
  inboundOutcome,
  isCircuitOpenError,
  type Outcome,
  type Permit,
  statusOfError,
} from '@tripswitch/core'
import { from, isObservable, Observable, of, type Subscriber, type Subscription } from 'rxjs'
import { CircuitOpenException } from './circuit-breaker.exception.ts'
import { setHeaders, statusOf } from './circuit-breaker.response.ts'
import type { CircuitBreakerRoute } from './circuit-breaker.route.ts'

/**
 * One call through a breaker: acquire a permit, subscribe to the handler, settle the permit
 * when the handler's observable completes (success by status) or errors (by the error's
 * status, 500 when none). Unsubscribed before either (the client went away, e.g. a closed
 * server-sent event stream): ignored, which frees a half-open probe slot.
 */
export function guardedCall(
  breaker: CircuitBreaker,
  route: CircuitBreakerRoute,
  context: ExecutionContext,
  next: CallHandler,
): Observable<unknown> {
  return new Observable<unknown>((subscriber) => {
    let permit: Permit | undefined
    let inner: Subscription | undefined
    let active = true
    const settle = (error: unknown, failed: boolean) => {
      const admitted = permit
      permit = undefined
      if (admitted !== undefined) settlePermit(admitted, breaker, route, context, error, failed)
    }
    breaker.acquire().then(
      (admitted) => {
        if (!active) return admitted.ignore()
        permit = admitted
        inner = next.handle().subscribe({
          next: (value) => subscriber.next(value),
          error: (error: unknown) => {
            settle(error, true)
            subscriber.error(error)
          },
          complete: () => {
            settle(undefined, false)
            subscriber.complete()
          },
        })
      },
      (error: unknown) => {
        if (active) inner = refuse(error, route, context, subscriber)
      },
    )
    return () => {
      active = false
      inner?.unsubscribe()
      const unsettled = permit
      permit = undefined
      unsettled?.ignore()
    }
  })
}

function settlePermit(
  permit: Permit,
  breaker: CircuitBreaker,
  route: CircuitBreakerRoute,
  context: ExecutionContext,
  error: unknown,
  failed: boolean,
): void {
  const http = context.switchToHttp()
  let outcome: Outcome
  try {
    outcome = inboundOutcome(
      {
        statusCode: failed ? (statusOfError(error) ?? 500) : statusOf(context),
        // A thrown `undefined` still failed: core reads a defined error as "thrown".
        error: failed ? (error ?? null) : undefined,
        request: http.getRequest<unknown>(),
        response: http.getResponse<unknown>(),
      },
      route.detectError,
    )
  } catch (thrown) {
    // A throwing detectError must not leak the permit (a probe slot would stay taken).
    permit.failure(thrown)
    return
  }
  permit.settle(filterThrownError(outcome, error, breaker.settings), error)
}

/** Answers a refusal: the fallback's answer, or `CircuitOpenException` with its headers. */
function refuse(
  error: unknown,
  route: CircuitBreakerRoute,
  context: ExecutionContext,
  subscriber: Subscriber<unknown>,
): Subscription | undefined {
  if (!isCircuitOpenError(error)) {
    subscriber.error(error)
    return undefined
  }
  if (route.fallback === undefined) {
    const exception = new CircuitOpenException(error)
    setHeaders(context, exception.headers)
    subscriber.error(exception)
    return undefined
  }
  let answer: unknown
  try {
    answer = route.fallback(error, context)
  } catch (thrown) {
    subscriber.error(thrown)
    return undefined
  }
  return toObservable(answer).subscribe(subscriber)
}

function toObservable(value: unknown): Observable<unknown> {
  if (isObservable(value)) return value
  if (value instanceof Promise) return from(value)
  return of(value)
}
