import { type CircuitBreaker, isCircuitOpenError } from '@tripswitch/core'
import type { AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios'
import type { AttachOptions, AxiosOutcomeOptions } from './options.ts'
import { type ParsedOptions, parseOptions, parseRequestOptions } from './parse-options.ts'
import { carry, responseOf, settle } from './settle.ts'

/** Removes what {@link attachCircuitBreaker} installed; calling it twice is harmless. */
export type Detach = () => void

/**
 * Guards every request of `instance` with a circuit breaker, one per origin by default. The
 * request interceptor acquires a permit (or rejects with `CircuitOpenError`, carrying the
 * request's `config`, without sending anything); the response interceptor settles it: network
 * errors, timeouts, 5xx, 408 and 429 fail, other answers succeed, canceled requests are ignored.
 *
 * Attach it before axios-retry, so that each attempt is one call through the breaker (see the
 * README and {@link unlessCircuitOpen}).
 *
 * @returns the function that ejects both interceptors.
 * @throws {InvalidOptionsError} when an option is invalid (naming it), at once.
 */
export function attachCircuitBreaker(instance: AxiosInstance, options?: AttachOptions): Detach {
  const parsed = parseOptions(options)
  const request = instance.interceptors.request.use((config) => admit(config, parsed))
  const response = instance.interceptors.response.use(
    (answer: AxiosResponse) => {
      settle(answer.config, answer, undefined)
      return answer
    },
    (error: unknown) => {
      const config =
        typeof error === 'object' && error !== null ? Reflect.get(error, 'config') : undefined
      settle(config, responseOf(error), error)
      return Promise.reject(error)
    },
  )
  return () => {
    instance.interceptors.request.eject(request)
    instance.interceptors.response.eject(response)
  }
}

function admit(
  config: InternalAxiosRequestConfig,
  parsed: ParsedOptions,
): InternalAxiosRequestConfig | Promise<InternalAxiosRequestConfig> {
  const own = config.circuitBreaker
  if (own === false) return config
  let breaker: CircuitBreaker
  let outcome: AxiosOutcomeOptions = parsed.outcome
  if (own === undefined) {
    breaker = parsed.registry.get(parsed.key(config), parsed.breakerOptions)
  } else {
    const request = parseRequestOptions(own, parsed)
    breaker = parsed.registry.get(request.key ?? parsed.key(config), request.breakerOptions)
    outcome = request.outcome
  }
  return breaker.acquire().then(
    (permit) => {
      carry(config, { permit, breaker, outcome })
      return config
    },
    (error: unknown) => {
      throw isCircuitOpenError(error) ? withConfig(error, config) : error
    },
  )
}

/** The refusal, carrying the request's config (what axios errors carry) for the caller. */
function withConfig<E extends object>(error: E, config: InternalAxiosRequestConfig): E {
  return Object.assign(error, { config })
}
