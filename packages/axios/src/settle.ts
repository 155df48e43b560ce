import {
  type CircuitBreaker,
  type FailureDetails,
  type Outcome,
  outboundOutcome,
  type Permit,
  parseRetryAfter,
} from '@tripswitch/core'
import { type AxiosResponse, type InternalAxiosRequestConfig, isAxiosError, isCancel } from 'axios'
import type { AxiosOutcomeOptions } from './options.ts'

/** What the request interceptor leaves on the config for the response interceptor. */
export interface Admitted {
  readonly permit: Permit
  readonly breaker: CircuitBreaker
  readonly outcome: AxiosOutcomeOptions
  /** Stops watching the request's CancelToken, if it has one. */
  release?: () => void
}

// A symbol, not enumerable: axios's mergeConfig and object spreads copy enumerable keys, so
// a retried request (axios-retry re-sends this config) never inherits a settled permit.
const ADMITTED = Symbol('tripswitch.admitted')

type Carrier = InternalAxiosRequestConfig & { [ADMITTED]?: Admitted }

/** Puts the permit on the config. */
export function carry(config: InternalAxiosRequestConfig, admitted: Admitted): void {
  Object.defineProperty(config, ADMITTED, { value: admitted, configurable: true, writable: true })
  const token = config.cancelToken
  if (token === undefined) return
  // A CancelToken's rejection does not carry the config (the reason is made by cancel(), which
  // knows no request), so the response interceptor could not find the permit: free it here.
  // subscribe() calls back at once when the token is already canceled.
  const onCancel = () => take(config)?.permit.ignore()
  admitted.release = () => token.unsubscribe(onCancel)
  token.subscribe(onCancel)
}

/** Takes the permit off the config, so that it is settled once. */
function take(config: unknown): Admitted | undefined {
  if (typeof config !== 'object' || config === null) return undefined
  const carrier = config as Carrier
  const admitted = carrier[ADMITTED]
  if (admitted === undefined) return undefined
  delete carrier[ADMITTED]
  admitted.release?.()
  return admitted
}

/**
 * Settles the permit riding on `config` (if any) with the outcome of the request. Throws what
 * a throwing `detectError` threw, after counting a failure.
 */
export function settle(config: unknown, response: AxiosResponse | undefined, error: unknown): void {
  const admitted = take(config)
  if (admitted === undefined) return
  const { permit, breaker, outcome: options } = admitted
  let outcome: Outcome
  try {
    outcome = classify(options, config as InternalAxiosRequestConfig, response, error)
  } catch (thrown) {
    permit.failure(thrown)
    throw thrown
  }
  const details =
    outcome === 'failure' && options.honorRetryAfter !== false
      ? retryAfterOf(response, breaker)
      : undefined
  permit.settle(outcome, error, details)
}

/**
 * A 429 or 503 answer's `Retry-After` (seconds or an HTTP date), for core: if this failure opens
 * the circuit, it stays open at least that long, in every process sharing the breaker's store.
 */
function retryAfterOf(
  response: AxiosResponse | undefined,
  breaker: CircuitBreaker,
): FailureDetails | undefined {
  if (response === undefined || (response.status !== 429 && response.status !== 503)) return
  const header: unknown = response.headers['retry-after']
  if (typeof header !== 'string') return
  const retryAfterMs = parseRetryAfter(header, breaker.settings.clock.now())
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
