import type { FailureDetails, Outcome, Permit } from '@tripswitch/core'
import { outboundOutcome, parseRetryAfter } from '@tripswitch/core/adapter'
import { type AxiosResponse, type InternalAxiosRequestConfig, isAxiosError, isCancel } from 'axios'
import type { Guard } from './guard.ts'
import type { AxiosOutcomeOptions } from './options.ts'

/**
 * Settles `permit` with the outcome of the request. Throws what a throwing `detectError` threw,
 * after counting a failure: the request then rejects with it.
 */
export function settle(
  permit: Permit,
  guard: Guard,
  config: InternalAxiosRequestConfig,
  response: AxiosResponse | undefined,
  error: unknown,
): void {
  const options = guard.outcome
  let outcome: Outcome
  try {
    outcome = classify(options, config, response, error)
  } catch (thrown) {
    permit.failure(thrown)
    throw thrown
  }
  const details =
    outcome === 'failure' && options.honorRetryAfter !== false
      ? retryAfterOf(response, guard.breaker.settings.clock.now())
      : undefined
  permit.settle(outcome, error, details)
}

/**
 * A 429 or 503 answer's `Retry-After` (seconds or an HTTP date), for core: if this failure opens
 * the circuit, it stays open at least that long (up to the breaker's `maxRetryAfter`), in every
 * process sharing the breaker's store.
 */
function retryAfterOf(
  response: AxiosResponse | undefined,
  now: number,
): FailureDetails | undefined {
  if (response === undefined || (response.status !== 429 && response.status !== 503)) return
  const header: unknown = response.headers['retry-after']
  if (typeof header !== 'string') return
  const retryAfterMs = parseRetryAfter(header, now)
  return retryAfterMs === undefined ? undefined : { retryAfterMs }
}

function classify(
  options: AxiosOutcomeOptions,
  config: InternalAxiosRequestConfig,
  response: AxiosResponse | undefined,
  error: unknown,
): Outcome {
  // A canceled request says nothing about the upstream: its permit is freed uncounted.
  if (error !== undefined && isCancel(error)) return 'ignore'
  const { detectError } = options
  if (detectError !== undefined)
    return detectError({ response, error, config }) ? 'failure' : 'success'
  return outboundOutcome(response?.status, options)
}

/** The response of a rejection, when axios received one. */
export function responseOf(error: unknown): AxiosResponse | undefined {
  return isAxiosError(error) ? error.response : undefined
}
