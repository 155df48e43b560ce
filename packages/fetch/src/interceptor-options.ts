import type { IncomingHttpHeaders } from 'node:http'
import type { BreakerRequest, SharedOptions } from './options.ts'

/** What the interceptor's `detectError` is told about an answer (its body is not read). */
export interface DispatchResponse {
  /** The final (non-1xx) status code. */
  readonly statusCode: number
  /** The response headers, lower-case names. */
  readonly headers: IncomingHttpHeaders
}

/**
 * Classifies an answer the interceptor saw: `true` = failure, `false` = success. Asked when the
 * headers arrive; a throw counts a failure and aborts the request with what it threw. Network
 * errors, undici's `headersTimeout` / `bodyTimeout` and a body cut short always fail; aborted
 * requests are ignored, without asking it.
 */
export type DispatchDetectError = (response: DispatchResponse, request: BreakerRequest) => boolean

/** Options of the undici interceptor `circuitBreaker(options)`. */
export interface InterceptorOptions extends SharedOptions {
  /** Replaces the status classification. @default 5xx, 408, 429 fail (and 4xx, see acceptClientErrors) */
  detectError?: DispatchDetectError
}
