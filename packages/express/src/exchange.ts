import {
  type CircuitBreaker,
  CircuitTimeoutError,
  isCircuitBusyError,
  isCircuitOpenError,
  type Outcome,
  type Permit,
} from '@tripswitch/core'
import { checks, filterThrownError, inboundOutcome, schedule } from '@tripswitch/core/adapter'
import type { NextFunction, Request, Response } from 'express'
import { sendBusy, sendOpen, sendTimeout } from './answers.ts'
import { capturedError } from './capture-errors.ts'
import type { ParsedOptions } from './parse-options.ts'
import { type Slots, slotsOf } from './request-slots.ts'
import type { Admission } from './route-hook.ts'
import { routeKey } from './route-key.ts'

/**
 * One request under one middleware: acquire a permit, let the handler run, settle the permit
 * when the response ends. `finish` settles by status; `close` without `finish` means the client
 * went away, which is neither a success nor a failure (ignored, freeing a probe slot).
 */
export class Exchange implements Admission {
  private permit: Permit | undefined
  // Whose error filters apply: res.locals.circuitBreaker names the last guard a request passed.
  private breaker: CircuitBreaker | undefined
  private ended = false
  private cancelTimer: (() => void) | undefined

  constructor(
    private readonly req: Request,
    private readonly res: Response,
    private readonly options: ParsedOptions,
    // `res.locals`, read once by the middleware: each read on an Express response is a lookup
    // V8 cannot cache (every response has a hidden class of its own).
    private locals: Slots,
  ) {
    // Attached before any await: the response can end while the permit is being acquired (a
    // shared store answers asynchronously), and an event missed here would leak the permit and
    // wedge a half-open probe slot.
    // `on`, not `once`: each listener runs at most once anyway (`ended` guards both), and
    // `once` wraps every listener in two more objects.
    res.on('finish', () => this.finished())
    res.on('close', () => this.closed())
  }

  /**
   * Under app.use, once a route has matched: admits on the route's key, or lets the request
   * through when the route gives none.
   */
  admitOnRoute(proceed: NextFunction): void {
    // Middleware in between may have replaced `res.locals`.
    this.locals = slotsOf(this.res)
    const routed = routeKey(this.req)
    if (routed === undefined) proceed()
    else this.admit(routed, proceed)
  }

  /** Acquires on the breaker named `key`, then calls `proceed()` or answers the refusal. */
  admit(key: string, proceed: NextFunction): void {
    let breaker: CircuitBreaker
    try {
      // A route key can be too long (a mount path's parameter values are part of it).
      breaker = this.options.registry.get(checks.breakerKey(key), this.options.breakerOptions)
    } catch (error) {
      proceed(error)
      return
    }
    ;(this.locals as Record<string, unknown>).circuitBreaker = breaker
    this.options.transitions?.watch(breaker)
    // A permit granted at once (the in-memory state always answers at once) goes straight on,
    // without a promise and a microtask per request.
    const admission = breaker.tryAcquire()
    if (!(admission instanceof Promise)) {
      this.admittedOrError(breaker, admission, proceed)
      return
    }
    // What either step throws goes to Express's error handling, as a .catch() would send it,
    // without a third promise per request.
    admission.then(
      (permit) => this.admittedOrError(breaker, permit, proceed),
      (error: unknown) => {
        try {
          this.refused(error, proceed)
        } catch (thrown) {
          proceed(thrown)
        }
      },
    )
  }

  private admittedOrError(breaker: CircuitBreaker, permit: Permit, proceed: NextFunction): void {
    try {
      this.admitted(breaker, permit, proceed)
    } catch (error) {
      proceed(error)
    }
  }

  private admitted(breaker: CircuitBreaker, permit: Permit, proceed: NextFunction): void {
    if (this.ended) {
      // The response ended while we waited: nothing left to measure, so stay neutral.
      permit.ignore()
      proceed()
      return
    }
    this.permit = permit
    this.breaker = breaker
    this.startTimer(breaker, permit)
    proceed()
  }

  private refused(error: unknown, proceed: NextFunction): void {
    if (isCircuitBusyError(error)) {
      if (!this.ended) sendBusy(this.res, error)
      return
    }
    if (!isCircuitOpenError(error)) {
      proceed(error)
      return
    }
    if (this.ended) return
    const answer = this.options.onRefused
    if (answer === undefined) {
      sendOpen(this.res, error)
      return
    }
    try {
      const result: unknown = answer(this.req, this.res, proceed, error)
      if (result instanceof Promise) result.catch(proceed)
    } catch (thrown) {
      proceed(thrown)
    }
  }

  private finished(): void {
    this.ended = true
    this.cancelTimer?.()
    const { permit, breaker } = this
    if (permit === undefined || breaker === undefined) return
    this.permit = undefined
    const error = capturedError(this.req)
    let outcome: Outcome
    try {
      outcome = this.classify(breaker, error)
    } catch (thrown) {
      // A throwing detectError or isFailure must neither crash the process from an event
      // listener nor leak the permit; the thrown error is recorded as the failure, where
      // `failure` listeners can see it.
      permit.failure(thrown)
      return
    }
    permit.settle(outcome, error)
  }

  /** The outcome of the finished exchange; runs the user's detectError and error filters. */
  private classify(breaker: CircuitBreaker, error: unknown): Outcome {
    const context = {
      statusCode: this.res.statusCode,
      error,
      request: this.req,
      response: this.res,
    }
    const outcome = inboundOutcome(context, this.options.detectError)
    return filterThrownError(outcome, error, breaker.settings)
  }

  private closed(): void {
    if (this.ended) return
    this.ended = true
    this.cancelTimer?.()
    this.permit?.ignore()
    this.permit = undefined
  }

  /** Uses the breaker's clock so that tests move time instead of sleeping. */
  private startTimer(breaker: CircuitBreaker, permit: Permit): void {
    const { timeout, clock } = breaker.settings
    if (timeout === undefined) return
    this.cancelTimer = schedule(clock, () => this.timedOut(breaker.name, permit, timeout), timeout)
  }

  private timedOut(circuit: string, permit: Permit, timeout: number): void {
    // Headers sent in time mean the handler answered; its status decides at `finish`.
    if (this.permit !== permit || this.res.headersSent) return
    this.permit = undefined
    const error = new CircuitTimeoutError(circuit, timeout)
    permit.failure(error)
    sendTimeout(this.res, error)
  }
}
