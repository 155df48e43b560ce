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
import {
  from,
  isObservable,
  Observable,
  type Observer,
  of,
  type Subscriber,
  type Subscription,
  type Unsubscribable,
} from 'rxjs'
import { CircuitOpenException } from './circuit-breaker.exception.ts'
import {
  type ClientGone,
  type NodeResponse,
  onClientGone,
  setHeaders,
  statusOf,
} from './circuit-breaker.response.ts'
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
  return new Observable<unknown>((subscriber) =>
    new GuardedCall(breaker, route, context, next, subscriber).start(),
  )
}

/**
 * The state of one subscription to a guarded call. It is also the observer of the handler and
 * the teardown handed to rxjs: one object per request instead of a closure per role.
 */
class GuardedCall implements Observer<unknown>, Unsubscribable, ClientGone {
  private permit: Permit | undefined = undefined
  private inner: Subscription | undefined = undefined
  private active = true

  constructor(
    private readonly breaker: CircuitBreaker,
    private readonly route: CircuitBreakerRoute,
    private readonly context: ExecutionContext,
    private readonly handler: CallHandler,
    private readonly subscriber: Subscriber<unknown>,
  ) {}

  /** Asks for a permit; returns the teardown. */
  start(): Unsubscribable {
    // A permit granted at once (the in-memory state always answers at once) subscribes to the
    // handler right away, without a promise and a microtask per request.
    const admission = this.breaker.tryAcquire()
    if (admission instanceof Promise)
      admission.then(
        (permit) => this.admit(permit),
        (error: unknown) => {
          if (this.active) this.inner = refuse(error, this.route, this.context, this.subscriber)
        },
      )
    else this.admit(admission)
    return this
  }

  next(value: unknown): void {
    this.subscriber.next(value)
  }

  error(error: unknown): void {
    this.settle(error, true)
    this.subscriber.error(error)
  }

  complete(): void {
    this.settle(undefined, false)
    this.subscriber.complete()
  }

  /** The subscriber went away (the client left, e.g. a closed server-sent event stream). */
  unsubscribe(): void {
    this.active = false
    this.inner?.unsubscribe()
    this.take()?.ignore()
  }

  private admit(permit: Permit): void {
    if (!this.active) {
      permit.ignore()
      return
    }
    this.permit = permit
    onClientGone(this.context, this)
    this.inner = this.subscribeHandler()
  }

  /** A client that goes away says nothing about the handler's dependency. */
  clientGone(response: NodeResponse): void {
    if (response.writableFinished !== true) this.take()?.ignore()
  }

  /**
   * Subscribes to the handler, settling on its end. A handler that throws instead of returning
   * an observable (a synchronous throw in a custom `CallHandler`) fails the call the same way; a
   * throw left to escape from a promise callback would be an unhandled rejection and leak the
   * permit.
   */
  private subscribeHandler(): Subscription | undefined {
    try {
      return this.handler.handle().subscribe(this)
    } catch (error) {
      this.error(error)
      return undefined
    }
  }

  /** The permit, taken: whoever takes it settles it, once. */
  private take(): Permit | undefined {
    const permit = this.permit
    this.permit = undefined
    return permit
  }

  private settle(error: unknown, failed: boolean): void {
    const permit = this.take()
    if (permit !== undefined)
      settlePermit(permit, this.breaker, this.route, this.context, error, failed)
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
