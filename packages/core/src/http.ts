import { MAX_DURATION_MS } from './defaults.ts'
import type { CircuitOpenError, CircuitTimeoutError } from './errors.ts'
import type { Outcome } from './permit.ts'

/** What an HTTP adapter knows about a finished exchange, for `detectError`. */
export interface HttpOutcomeContext<Request = unknown, Response = unknown> {
  /** Final status code; undefined when no response was received (network error). */
  readonly statusCode: number | undefined
  /** The error raised by the handler or the client, if any. */
  readonly error: unknown
  /** The framework's request object. */
  readonly request: Request
  /** The framework's response object, if any. */
  readonly response: Response | undefined
}

/** A user override of HTTP classification: `true` = failure, `false` = success. */
export type HttpDetectError<Request = unknown, Response = unknown> = (
  context: HttpOutcomeContext<Request, Response>,
) => boolean

/** The JSON body of an inbound open-circuit answer. Never carries the downstream error. */
export interface OpenCircuitBody {
  readonly statusCode: 503
  readonly error: 'Service Unavailable'
  readonly code: 'ERR_CIRCUIT_OPEN'
  readonly message: string
  /** Name of the open circuit. */
  readonly circuit: string
  /** Whole seconds until a probe is allowed (the `Retry-After` value). */
  readonly retryAfter: number
}

/** A complete inbound open-circuit answer: status, headers and body. */
export interface OpenCircuitResponse {
  readonly statusCode: 503
  readonly headers: { readonly 'retry-after': string; readonly 'cache-control': 'no-store' }
  readonly body: OpenCircuitBody
}

/**
 * The status an error maps to: `statusCode` or `status` (Express, Fastify, http-errors), or
 * `getStatus()` (NestJS `HttpException`), when it is an integer from 100 to 599.
 */
export function statusOfError(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const e = error as { statusCode?: unknown; status?: unknown; getStatus?: unknown }
  const candidates = [
    e.statusCode,
    e.status,
    typeof e.getStatus === 'function' ? e.getStatus() : undefined,
  ]
  for (const value of candidates) if (isHttpStatus(value)) return value
  return undefined
}

function isHttpStatus(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 599
}

/**
 * Inbound classification (Express, Fastify, Nest): aborted by the client = ignore; a status
 * >= 500, or an error that maps to one (or to no status at all), = failure; anything else =
 * success. `detectError` overrides everything but an abort.
 */
export function inboundOutcome<Req, Res>(
  context: HttpOutcomeContext<Req, Res> & { readonly aborted?: boolean },
  detectError?: HttpDetectError<Req, Res>,
): Outcome {
  if (context.aborted === true) return 'ignore'
  if (detectError !== undefined) return detectError(context) ? 'failure' : 'success'
  const status =
    context.error === undefined ? context.statusCode : (statusOfError(context.error) ?? 500)
  return status !== undefined && status >= 500 ? 'failure' : 'success'
}

/** Options of {@link outboundOutcome}. */
export interface OutboundOptions {
  /** When false, every 4xx answer is a failure too. @default true */
  readonly acceptClientErrors?: boolean
}

/**
 * Outbound classification (HTTP clients): no response (network error, timeout), 5xx, 408 and
 * 429 are failures; other 4xx are successes unless `acceptClientErrors` is false.
 */
export function outboundOutcome(
  statusCode: number | undefined,
  options: OutboundOptions = {},
): Outcome {
  if (statusCode === undefined) return 'failure'
  if (statusCode >= 500 || statusCode === 408 || statusCode === 429) return 'failure'
  if (statusCode >= 400 && options.acceptClientErrors === false) return 'failure'
  return 'success'
}

/** `Retry-After` in whole seconds, rounded up, at least 1 (0 would invite an instant retry storm). */
export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000))
}

// Every HTTP-date form (IMF-fixdate, RFC 850, asctime) starts with a day name.
const HTTP_DATE_START = /^[A-Za-z]{3,9},? /

/**
 * Parses a `Retry-After` header (delta seconds or an HTTP date) into milliseconds from `now`.
 * Returns undefined for an absent or malformed value.
 */
export function parseRetryAfter(
  value: string | readonly string[] | undefined,
  now: number,
): number | undefined {
  const text = Array.isArray(value) ? value[0] : value
  if (typeof text !== 'string' || text.trim() === '') return undefined
  const trimmed = text.trim()
  // Hundreds of digits parse to Infinity: a hint that long is the longest a timer can wait.
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed) * 1000, MAX_DURATION_MS)
  // Date.parse alone would take "1.5" or "-1" for dates in 2001.
  if (!HTTP_DATE_START.test(trimmed)) return undefined
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** The inbound answer to a call refused by an open circuit: 503, Retry-After, no-store, a JSON body. */
export function openCircuitResponse(
  error: CircuitOpenError,
  message = 'Circuit open',
): OpenCircuitResponse {
  const retryAfter = retryAfterSeconds(error.retryAfterMs)
  return {
    statusCode: 503,
    headers: { 'retry-after': String(retryAfter), 'cache-control': 'no-store' },
    body: {
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'ERR_CIRCUIT_OPEN',
      message,
      circuit: error.circuit,
      retryAfter,
    },
  }
}

/** The JSON body of an inbound answer to a handler slower than its `timeout`. */
export interface TimeoutBody {
  readonly statusCode: 503
  readonly error: 'Service Unavailable'
  readonly code: 'ERR_CIRCUIT_TIMEOUT'
  readonly message: string
  /** Name of the circuit whose handler timed out. */
  readonly circuit: string
}

/** A complete inbound timeout answer: status, headers and body. */
export interface TimeoutResponse {
  readonly statusCode: 503
  readonly headers: { readonly 'cache-control': 'no-store' }
  readonly body: TimeoutBody
}

/** The inbound answer to a handler that did not answer within `timeout` (a counted failure). */
export function timeoutResponse(error: CircuitTimeoutError, message = 'Timeout'): TimeoutResponse {
  return {
    statusCode: 503,
    headers: { 'cache-control': 'no-store' },
    body: {
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'ERR_CIRCUIT_TIMEOUT',
      message,
      circuit: error.circuit,
    },
  }
}

/** Status code of a readiness answer: 200 when every circuit admits calls, 503 otherwise. */
export function healthStatusCode(health: { readonly status: 'up' | 'degraded' }): 200 | 503 {
  return health.status === 'up' ? 200 : 503
}
