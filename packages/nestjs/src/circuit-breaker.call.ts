import {
  type CallHandler,
  type ExecutionContext,
  ServiceUnavailableException,
} from '@nestjs/common'
import {
  type CircuitBreaker,
  type CircuitBusyError,
  isCircuitBusyError,
  isCircuitOpenError,
  type Outcome,
  type Permit,
} from '@tripswitch/core'
import { filterThrownError, inboundOutcome, statusOfError } from '@tripswitch/core/adapter'
import { from, isObservable, Observable, of, type Subscriber, type Subscription } from 'rxjs'
import { CircuitOpenException } from './circuit-breaker.exception.ts'
import { onClientGone, setHeaders, statusOf } from './circuit-breaker.response.ts'
import type { CircuitBreakerRoute } from './circuit-breaker.route.ts'

/**
 * One call through a breaker: acquire a permit, subscribe to the handler, settle the permit
 * when the handler's observable completes (success by status) or errors (by the error's
 * status, 500 when none). Unsubscribed before either (the client went away, e.g. a closed
 * server-sent event stream), or the client closed the connection while the handler ran:
 * ignored, which frees a half-open probe slot. Whatever happens, the permit is settled once.
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
    let stopWatching: (() => void) | undefined
    const take = () => {
      const admitted = permit
      permit = undefined
      stopWatching?.()
      return admitted
    }
    const settle = (error: unknown, failed: boolean) => {
      const admitted = take()
      if (admitted !== undefined) settlePermit(admitted, breaker, route, context, error, failed)
    }
    const admit = (admitted: Permit) => {
      if (!active) return admitted.ignore()
      permit = admitted
      // A client that goes away says nothing about the handler's dependency.
      stopWatching = onClientGone(context, () => take()?.ignore())
      inner = subscribeHandler(next, subscriber, settle)
    }
    // A permit granted at once (the in-memory state always answers at once) subscribes to the
    // handler right away, without a promise and a microtask per request.
    const admission = breaker.tryAcquire()
    if (admission instanceof Promise)
      admission.then(admit, (error: unknown) => {
        if (active) inner = refuse(error, route, context, subscriber)
      })
    else admit(admission)
    return () => {
      active = false
      inner?.unsubscribe()
      take()?.ignore()
    }
  })
}

/**
 * Subscribes to the handler, settling on its end. A handler that throws instead of returning an
 * observable (a synchronous throw in a custom `CallHandler`) fails the call the same way; a throw
 * left to escape from a promise callback would be an unhandled rejection and leak the permit.
 */
function subscribeHandler(
  next: CallHandler,
  subscriber: Subscriber<unknown>,
  settle: (error: unknown, failed: boolean) => void,
): Subscription | undefined {
  try {
    return next.handle().subscribe({
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
  } catch (error) {
    settle(error, true)
    subscriber.error(error)
    return undefined
  }
}

function settlePermit(
  permit: Permit,
  breaker: CircuitBreaker,
  route: CircuitBreakerRoute,
  context: ExecutionContext,
  error: unknown,
  failed: boolean,
): void {
  let outcome: Outcome
  try {
    outcome = classify(breaker, route, context, error, failed)
  } catch (thrown) {
    // A throwing detectError or isFailure must not leak the permit (a probe slot would stay
    // taken) nor escape into rxjs, which would rethrow it from a timer and end the process.
    permit.failure(thrown)
    return
  }
  permit.settle(outcome, error)
}

/** The call's outcome; runs the user's detectError and error filters. */
function classify(
  breaker: CircuitBreaker,
  route: CircuitBreakerRoute,
  context: ExecutionContext,
  error: unknown,
  failed: boolean,
): Outcome {
  const outcome = inboundOutcome(
    {
      statusCode: failed ? (statusOfError(error) ?? 500) : statusOf(context),
      // A thrown `undefined` still failed: core reads a defined error as "thrown".
      error: failed ? (error ?? null) : undefined,
      // What switchToHttp().getRequest()/getResponse() return, without the closures Nest's
      // switchToHttp() assigns onto the context on every call.
      request: context.getArgByIndex<unknown>(0),
      response: context.getArgByIndex<unknown>(1),
    },
    route.detectError,
  )
  return filterThrownError(outcome, error, breaker.settings)
}

/** Answers a refusal: the fallback's answer, or `CircuitOpenException` with its headers. */
function refuse(
  error: unknown,
  route: CircuitBreakerRoute,
  context: ExecutionContext,
  subscriber: Subscriber<unknown>,
): Subscription | undefined {
  if (isCircuitBusyError(error)) {
    setHeaders(context, { 'cache-control': 'no-store' })
    subscriber.error(busyException(error))
    return undefined
  }
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

/** A refusal past `maxConcurrent`: 503 with a body in the open answer's shape; nothing counted. */
function busyException(error: CircuitBusyError): ServiceUnavailableException {
  const body = {
    statusCode: 503,
    error: 'Service Unavailable',
    code: error.code,
    message: 'Circuit busy',
    circuit: error.circuit,
  }
  return new ServiceUnavailableException(body, { cause: error, description: body.message })
}
