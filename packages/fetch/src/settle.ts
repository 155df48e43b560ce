import type { CircuitBreaker, FailureDetails, Permit } from '@tripswitch/core'
import type { BreakerRequest, FetchOutcomeOptions } from './options.ts'
import { failingStatus, retryAfterOf, type StatusRules } from './outcome.ts'
import { type Deadline, untilDeadline } from './timeout.ts'

/** What the wrapper reads of a response: its status and headers (never its body). */
export interface ResponseLike {
  readonly status: number
  readonly headers: { get(name: string): string | null }
}

/** The fetch wrapper's own options, as resolved for a request. */
export type Outcome<R> = FetchOutcomeOptions<R> & StatusRules

/** One admitted request, and what settling it needs. */
export interface Call<R> {
  readonly permit: Permit
  readonly breaker: CircuitBreaker
  readonly outcome: Outcome<R>
  readonly request: BreakerRequest
  readonly signal: AbortSignal | undefined
}

/** A failed or aborted request: ignored when the caller aborted, else a failure. */
export function settleError<R>(call: Call<R>, error: unknown): void {
  if (call.signal?.aborted === true) call.permit.ignore()
  else call.permit.failure(error)
}

/**
 * Settles the permit with the response's classification (awaiting `detectError`) and returns
 * the response untouched.
 */
export async function settle<R extends ResponseLike>(
  response: R,
  call: Call<R>,
  deadline?: Deadline,
): Promise<R> {
  const { detectError } = call.outcome
  if (detectError === undefined) {
    settleStatus(response, call)
    return response
  }
  let failed: boolean
  try {
    const verdict = detectError(response, call.request)
    failed = Boolean(await (deadline === undefined ? verdict : untilDeadline(verdict, deadline)))
  } catch (thrown) {
    // A throwing detectError counts a failure and rejects the request with what it threw; past
    // the deadline, the request timed out.
    const error = deadline?.error ?? thrown
    call.permit.failure(error)
    discard(response)
    throw error
  }
  if (failed) call.permit.settle('failure', undefined, details(response, call))
  else call.permit.success()
  return response
}

/** Settles by the status alone (5xx, 408, 429 and, unless accepted, 4xx fail). */
export function settleStatus<R extends ResponseLike>(response: R, call: Call<R>): void {
  if (failingStatus(response.status, call.outcome))
    call.permit.settle('failure', undefined, details(response, call))
  else call.permit.success()
}

function details<R extends ResponseLike>(response: R, call: Call<R>): FailureDetails | undefined {
  const status = response.status
  if (status !== 429 && status !== 503) return undefined
  const now = call.breaker.settings.clock.now()
  return retryAfterOf(status, response.headers.get('retry-after'), call.outcome, now)
}

/** Frees the connection of a response the caller will never see (its body unread). */
export function discard(response: ResponseLike): void {
  const body = (response as { body?: unknown }).body
  if (typeof body === 'object' && body !== null && 'cancel' in body) {
    const cancel = (body as { cancel: () => Promise<void> }).cancel
    if (typeof cancel !== 'function') return
    // A body detectError locked or read cannot be canceled; the caller never sees it either way.
    Promise.resolve()
      .then(() => cancel.call(body))
      .catch(() => undefined)
  }
}
