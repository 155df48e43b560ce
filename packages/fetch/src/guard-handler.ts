import type { IncomingHttpHeaders } from 'node:http'
import type { Duplex } from 'node:stream'
import type { CircuitBreaker, FailureDetails, Outcome, Permit } from '@tripswitch/core'
import type { Dispatcher } from 'undici'
import type { InterceptorRules } from './interceptor.ts'
import type { BreakerRequest } from './options.ts'
import { failingStatus, retryAfterOf } from './outcome.ts'

type Controller = Dispatcher.DispatchController

/** The URL (`origin` + `path`) and method of a dispatched request. */
export function dispatchRequest(opts: Dispatcher.DispatchOptions): BreakerRequest {
  const origin = opts.origin
  const base = origin === undefined ? '' : typeof origin === 'string' ? origin : origin.origin
  return { url: `${base}${opts.path}`, method: opts.method }
}

/** Fails a request that was never dispatched, as undici's own interceptors do (no controller). */
export function failUndispatched(handler: Dispatcher.DispatchHandler, error: unknown): void {
  const reason = error instanceof Error ? error : new Error(String(error))
  handler.onResponseError?.(null as unknown as Controller, reason)
}

/**
 * Passes every callback on to the caller's handler, and settles the permit exactly once: by the
 * status when the response ends (a body cut short is a failure), ignored when the caller
 * aborted, failed on any other error.
 */
export class GuardHandler implements Dispatcher.DispatchHandler {
  private settled = false
  private outcome: Outcome | undefined
  private details: FailureDetails | undefined

  constructor(
    private readonly handler: Dispatcher.DispatchHandler,
    private readonly permit: Permit,
    private readonly breaker: CircuitBreaker,
    private readonly rules: InterceptorRules,
    private readonly request: BreakerRequest,
    private readonly opts: Dispatcher.DispatchOptions,
  ) {}

  onRequestStart(controller: Controller, context: unknown): void {
    this.handler.onRequestStart?.(controller, context)
  }

  onRequestUpgrade(
    controller: Controller,
    statusCode: number,
    headers: IncomingHttpHeaders,
    socket: Duplex,
  ): void {
    // The upstream accepted the upgrade: what happens on the socket is no longer a request.
    this.settle('success')
    this.handler.onRequestUpgrade?.(controller, statusCode, headers, socket)
  }

  onResponseStart(
    controller: Controller,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    if (statusCode >= 200 && this.outcome === undefined) {
      try {
        this.classify(statusCode, headers)
      } catch (thrown) {
        // A throwing detectError counts a failure; the request fails with what it threw.
        this.settle('failure', thrown)
        controller.abort(thrown instanceof Error ? thrown : new Error(String(thrown)))
        return
      }
    }
    this.handler.onResponseStart?.(controller, statusCode, headers, statusMessage)
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    this.handler.onResponseData?.(controller, chunk)
  }

  onResponseEnd(controller: Controller, trailers: IncomingHttpHeaders): void {
    this.settle(this.outcome ?? 'success', undefined, this.details)
    this.handler.onResponseEnd?.(controller, trailers)
  }

  onResponseError(controller: Controller, error: Error): void {
    // A failing answer whose body then broke keeps its Retry-After.
    if (this.aborted(error)) this.settle('ignore')
    else this.settle('failure', error, this.outcome === 'failure' ? this.details : undefined)
    this.handler.onResponseError?.(controller, error)
  }

  /** The dispatcher threw before sending anything: ignored, and the caller told. */
  abandon(error: unknown): void {
    this.settle('ignore')
    failUndispatched(this.handler, error)
  }

  private classify(statusCode: number, headers: IncomingHttpHeaders): void {
    const { detectError } = this.rules
    const failed =
      detectError === undefined
        ? failingStatus(statusCode, this.rules)
        : Boolean(detectError({ statusCode, headers }, this.request))
    this.outcome = failed ? 'failure' : 'success'
    if (!failed) return
    const header = headers['retry-after']
    const value = Array.isArray(header) ? header[0] : header
    const now = this.breaker.settings.clock.now()
    this.details = retryAfterOf(statusCode, value, this.rules, now)
  }

  /** The caller aborted (its signal, or undici's abort error): says nothing about the upstream. */
  private aborted(error: Error): boolean {
    const signal = (this.opts as { signal?: unknown }).signal
    if (signal instanceof AbortSignal && signal.aborted) return true
    if (
      signal !== null &&
      typeof signal === 'object' &&
      (signal as { aborted?: unknown }).aborted === true
    )
      return true
    return error.name === 'AbortError' || (error as { code?: unknown }).code === 'UND_ERR_ABORTED'
  }

  private settle(outcome: Outcome, error?: unknown, details?: FailureDetails): void {
    if (this.settled) return
    this.settled = true
    this.permit.settle(outcome, error, details)
  }
}
