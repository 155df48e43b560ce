import type { BreakerDefaults, CircuitBreakerRegistry, CircuitOpenError } from '@tripswitch/core'

/** Built-in breaker keys: `origin` = scheme + host + port, `host` = host + port. */
export type KeyMode = 'origin' | 'host'

/** What a key function and `detectError` are told about a request. */
export interface BreakerRequest {
  /** The absolute URL the request goes to, as given (not normalized). */
  readonly url: string
  /** The request method, e.g. `GET`. */
  readonly method: string
}

/**
 * A breaker key computed from a request: a non-empty string of at most 256 characters.
 * Anything else rejects the request with an `InvalidOptionsError` naming `key`, before it is
 * sent: a request is never let through unguarded because its key was unusable.
 */
export type KeyFunction = (request: BreakerRequest) => string

/**
 * Breaker key of a request: `'origin'` (`https://api.example.com:8443`), `'host'`
 * (`api.example.com:8443`), any other string as a fixed breaker name shared by every request,
 * or a function of the request.
 */
export type KeyOption = KeyMode | (string & {}) | KeyFunction

/**
 * Core breaker options accepted by the adapters. Those that only apply to `execute()` calls
 * (`timeout` is the adapter's own here, `fallback`, `detectError`, `isFailure`, `ignoreErrors`,
 * `recordErrors`) are not.
 */
export type FetchBreakerOptions = Omit<
  BreakerDefaults,
  'timeout' | 'fallback' | 'detectError' | 'isFailure' | 'ignoreErrors' | 'recordErrors'
>

/** Options shared by the fetch wrapper and the undici interceptor. */
export interface SharedOptions extends FetchBreakerOptions {
  /**
   * Breaker key of a request. Keys go through the registry and its `maxBreakers` bound.
   * @default 'origin'
   */
  key?: KeyOption
  /** Registry the breakers live in (with its store, clock and defaults). @default core's `defaultRegistry()`, shared with every adapter */
  registry?: CircuitBreakerRegistry
  /**
   * When false, every 4xx answer counts as a failure. When true, only 408 and 429 do.
   * @default true
   */
  acceptClientErrors?: boolean
  /**
   * A 429 or 503 answer with `Retry-After` (seconds or an HTTP date) that trips the circuit
   * keeps it open at least that long, even past the breaker's `recoveryTimeout`, up to its
   * `maxRetryAfter`.
   * @default true
   */
  honorRetryAfter?: boolean
}

/**
 * Classifies an answer of the fetch wrapper: `true` = failure, `false` = success. May read a
 * clone of the response (`response.clone().json()`); the caller gets the response once it
 * settles. Network errors and timeouts fail and caller aborts are ignored without asking it.
 */
export type FetchDetectError<R> = (
  response: R,
  request: BreakerRequest,
) => boolean | Promise<boolean>

/**
 * Answers a request refused by an open circuit instead of rejecting, e.g. with a cached
 * response. Returning `undefined` rejects with the `CircuitOpenError`; a throw rejects with
 * what it threw.
 */
export type OnCircuitOpen<R> = (
  error: CircuitOpenError,
  request: BreakerRequest,
) => R | undefined | Promise<R | undefined>

/** Per-request classification options of the fetch wrapper. */
export interface FetchOutcomeOptions<R> {
  /**
   * Milliseconds the request may take until its response headers arrive; past it the request
   * is aborted, counts as a failure and rejects with `CircuitTimeoutError`. Composes with the
   * caller's `init.signal`. An integer from 1 to 2,147,483,647. @default undefined (none)
   */
  timeout?: number
  /** Replaces the status classification. @default 5xx, 408, 429 fail (and 4xx, see acceptClientErrors) */
  detectError?: FetchDetectError<R>
  /** Answers requests refused by an open circuit. @default undefined (reject with CircuitOpenError) */
  onCircuitOpen?: OnCircuitOpen<R>
}

/** Options of {@link withCircuitBreaker}. */
export interface FetchCircuitOptions<R = Response> extends SharedOptions, FetchOutcomeOptions<R> {}

/**
 * Per-request options (`init.circuitBreaker`): a fixed breaker key, classification options,
 * and breaker options that apply when that breaker is created (an existing one keeps its own).
 */
export interface RequestCircuitOptions<R = Response>
  extends FetchBreakerOptions,
    FetchOutcomeOptions<R> {
  /** Breaker key for this request, instead of the wrapper's. @default the wrapper's key */
  key?: string
  /** As the wrapper's option, for this request. @default the wrapper's value (true) */
  acceptClientErrors?: boolean
  /** As the wrapper's option, for this request. @default the wrapper's value (true) */
  honorRetryAfter?: boolean
}

/** The `circuitBreaker` field a guarded fetch accepts on its `init`. */
export interface CircuitInit<R = Response> {
  /**
   * `false` sends the request without a breaker (not counted); an object sets this request's
   * key or options. It reaches the wrapped fetch with the rest of `init`; fetch ignores it.
   * @default the options given to withCircuitBreaker
   */
  circuitBreaker?: false | RequestCircuitOptions<R>
}
