import { isCircuitOpenError } from '@tripswitch/core'

/**
 * Wraps an axios-retry `retryCondition` so that a request refused by an open circuit is not
 * retried. axios-retry's default condition takes a refusal (no response, an unknown `code`)
 * for a network error and would retry it at once, only to be refused again:
 * `axiosRetry(http, { retryCondition: unlessCircuitOpen(isNetworkOrIdempotentRequestError) })`.
 */
export function unlessCircuitOpen<E, R extends boolean | Promise<boolean>>(
  condition: (error: E) => R,
): (error: E) => R | false {
  return (error) => (isCircuitOpenError(error) ? false : condition(error))
}
