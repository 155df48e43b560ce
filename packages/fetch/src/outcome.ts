import type { FailureDetails } from '@tripswitch/core'
import { MAX_DURATION_MS, outboundOutcome, parseRetryAfter } from '@tripswitch/core/adapter'

/** The status rules both adapters share. */
export interface StatusRules {
  readonly acceptClientErrors?: boolean
  readonly honorRetryAfter?: boolean
}

/** True when a response status counts as a failure (5xx, 408, 429; 4xx unless accepted). */
export function failingStatus(status: number, rules: StatusRules): boolean {
  return outboundOutcome(status, rules) === 'failure'
}

/**
 * A failing 429 or 503 answer's `Retry-After` (seconds or an HTTP date), for core: if this
 * failure opens the circuit, it stays open at least that long (up to the breaker's
 * `maxRetryAfter`), in every process sharing the breaker's store.
 */
export function retryAfterOf(
  status: number,
  header: string | null | undefined,
  rules: StatusRules,
  now: number,
): FailureDetails | undefined {
  if (rules.honorRetryAfter === false || (status !== 429 && status !== 503)) return undefined
  if (header === null || header === undefined) return undefined
  const ms = parseRetryAfter(header, now)
  if (ms === undefined) return undefined
  // `Retry-After: 999…9` (hundreds of digits) parses to Infinity, which a permit refuses; the
  // breaker caps the hold with maxRetryAfter anyway.
  return { retryAfterMs: Number.isFinite(ms) ? ms : MAX_DURATION_MS }
}
