import type { BreakerDefaults, CircuitBreakerRegistry, CircuitOpenError } from '@tripswitch/core'
import type { AxiosResponse, InternalAxiosRequestConfig } from 'axios'

/** Built-in breaker keys: `origin` = scheme + host + port, `host` = host + port. */
export type KeyMode = 'origin' | 'host'

/**
 * A breaker key computed from a request's config; a non-empty string of at most 256 characters.
 * Anything else rejects the request with an `InvalidOptionsError` naming `key`, before it is sent.
 */
export type KeyFunction = (config: InternalAxiosRequestConfig) => string

/** What {@link AxiosDetectError} is told about a finished request. */
export interface AxiosOutcomeContext {
  /** The answer, when one was received (also on a rejected 4xx/5xx). */
  readonly response: AxiosResponse | undefined
  /** The rejection (an `AxiosError` for network errors, timeouts and bad statuses), if any. */
  readonly error: unknown
  /** The request's config. */
  readonly config: InternalAxiosRequestConfig
}

/**
 * Classifies a finished request: `true` = failure, `false` = success. Replaces the default
 * mapping; a canceled request is ignored before it is asked.
 */
export type AxiosDetectError = (context: AxiosOutcomeContext) => boolean

/** Classification options, accepted by {@link attachCircuitBreaker} and per request. */
export interface AxiosOutcomeOptions {
  /**
   * When false, every 4xx answer counts as a failure. When true, only 408 and 429 do.
   * @default true
   */
  acceptClientErrors?: boolean
  /** Replaces the default classification. @default network errors, timeouts, 5xx, 408, 429 fail */
  detectError?: AxiosDetectError
  /**
   * A 429 or 503 answer with `Retry-After` (seconds or an HTTP date) that trips the circuit
   * keeps it open at least that long, even past the breaker's `recoveryTimeout`.
   * @default true
   */
  honorRetryAfter?: boolean
}

/**
 * Core breaker options accepted by the adapter. Those that only apply to `execute()` calls
 * (`timeout`, `fallback`, `detectError`, `isFailure`, `ignoreErrors`, `recordErrors`) are not:
 * use axios's own `timeout` and {@link AxiosOutcomeOptions.detectError}.
 */
export type AxiosBreakerOptions = Omit<
  BreakerDefaults,
  'timeout' | 'fallback' | 'detectError' | 'isFailure' | 'ignoreErrors' | 'recordErrors'
>

/** Options of {@link attachCircuitBreaker}: adapter options and core breaker options. */
export interface AttachOptions extends AxiosOutcomeOptions, AxiosBreakerOptions {
  /**
   * Breaker key of a request: `'origin'` (`https://api.example.com:8443`), `'host'`
   * (`api.example.com:8443`) or a function of the config. Keys go through the registry and
   * its `maxBreakers` bound.
   * @default 'origin'
   */
  key?: KeyMode | KeyFunction
  /**
   * Registry the breakers live in (with its store, clock and defaults).
   * @default core's `defaultRegistry()`, shared with the other adapters
   */
  registry?: CircuitBreakerRegistry
}

/**
 * Per-request options (`config.circuitBreaker`): a fixed breaker key, classification options,
 * and breaker options that apply when that breaker is created (an existing one keeps its own).
 */
export interface RequestCircuitOptions extends AxiosOutcomeOptions, AxiosBreakerOptions {
  /** Breaker key for this request, instead of the attached key. @default the attached key */
  key?: string
}

declare module 'axios' {
  interface AxiosRequestConfig {
    /**
     * `false` sends the request without a breaker; an object sets this request's key or
     * options (see `RequestCircuitOptions`). @default the options given to attachCircuitBreaker
     */
    circuitBreaker?: false | RequestCircuitOptions
  }
}

/**
 * The rejection of a request refused by an open circuit: core's `CircuitOpenError` (`code`
 * `ERR_CIRCUIT_OPEN`, `circuit`, `state`, `retryAfterMs` in milliseconds) plus the request's
 * axios `config`. Test for it with `isCircuitOpenError` from `@tripswitch/core`.
 */
export type AxiosCircuitOpenError = CircuitOpenError & {
  /** The config of the refused request (nothing was sent). */
  readonly config: InternalAxiosRequestConfig
}
