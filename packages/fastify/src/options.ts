import type { BreakerDefaults, CircuitBreakerRegistry, Clock, StateStore } from '@tripswitch/core'
import type { HttpDetectError } from '@tripswitch/core/adapter'
import type { FastifyReply, FastifyRequest } from 'fastify'

/**
 * Answers in place of the plugin's 503 error. The reply status is preset to 503 (change it
 * with `reply.code()`); `Retry-After` and `Cache-Control: no-store` are already set on open
 * answers. What it returns (or resolves to) is sent: a string, Buffer or stream as is, an
 * object as JSON, `undefined` as an empty body, an `Error` through the error handler. What it
 * throws goes to the error handler too.
 */
export type CircuitAnswerHook = (request: FastifyRequest, reply: FastifyReply) => unknown

/**
 * Options of one circuit: every `@tripswitch/core` breaker option, plus the names of
 * `@fastify/circuit-breaker`. Given to `app.circuitBreaker(options)` (compat form) or as
 * `config: { circuitBreaker: options }` on a route (config form); they override the plugin's.
 * A circuit sees replies, not calls, so the core options that classify a call's result or
 * thrown error (`isFailure`, `ignoreErrors`, `recordErrors`) and `fallback` are rejected, and
 * `detectError` takes the reply instead of a result.
 */
export interface CircuitBreakerRouteOptions
  extends Omit<
    BreakerDefaults,
    'timeout' | 'detectError' | 'isFailure' | 'ignoreErrors' | 'recordErrors' | 'fallback'
  > {
  /**
   * Name of the circuit in the registry, snapshots and store keys. Routes given the same name
   * share one circuit. @default the method and route template, e.g. `GET /users/:id`
   */
  name?: string
  /**
   * Consecutive failures (replies >= 500 and timeouts) that open the circuit; a reply below
   * 500 resets the count. Alias of `errorThreshold`. @default 5
   */
  threshold?: number
  /**
   * Milliseconds a request may take. A slower one is answered 503 `Timeout` when the time is up
   * and counts as a failure. @default 10_000
   */
  timeout?: number
  /** Milliseconds the circuit stays open before one probe request is let through. Alias of `recoveryTimeout`. @default 10_000 */
  resetTimeout?: number
  /**
   * Classifies a reply: `true` = failure. Gets the final `statusCode`, the `error` the route
   * threw (if any), the request and the reply. A request the client aborted is never counted.
   * @default a status >= 500 fails, anything else succeeds
   */
  detectError?: HttpDetectError<FastifyRequest, FastifyReply>
  /**
   * Names the breaker a request goes through, e.g. per tenant: `(request) => \`orders:${request.headers['x-tenant']}\``.
   * Names go through the registry and its bound (`cache`). Anything but a non-empty string of
   * at most 256 characters (`undefined` included) fails the request with an
   * `InvalidOptionsError` naming `key`: the route never runs unguarded. @default the circuit's name
   */
  key?: (request: FastifyRequest) => string
  /** Custom answer to a request refused by an open circuit. @default the 503 `FST_ERR_CIRCUIT_BREAKER_OPEN` error */
  onCircuitOpen?: CircuitAnswerHook
  /** Custom answer to a request slower than `timeout`. @default the 503 `FST_ERR_CIRCUIT_BREAKER_TIMEOUT` error */
  onTimeout?: CircuitAnswerHook
}

/**
 * Options of the plugin. The circuit options here are the defaults of every circuit; the rest
 * configures the plugin. Every value is validated at registration: a bad one (0, negative, NaN,
 * wrong type, unknown key) fails `register` with an `InvalidOptionsError`.
 */
export interface FastifyCircuitBreakerOptions extends Omit<CircuitBreakerRouteOptions, 'name'> {
  /** Message of the timeout answer. @default 'Timeout' */
  timeoutErrorMessage?: string
  /** Message of the open-circuit answer. @default 'Circuit open' */
  circuitOpenErrorMessage?: string
  /**
   * Most circuits held in memory at once: the plugin then gets a private registry of that
   * `maxBreakers`. Past it only idle closed circuits are evicted; no route ever loses live state.
   * Not combined with `registry`. @default none (core's default registry, 1,000 circuits)
   */
  cache?: number
  /**
   * Registry holding the circuits, e.g. one shared with other code. Not combined with `cache`,
   * `store`, `clock`. @default core's `defaultRegistry()` (shared with every adapter given no
   * registry), or a private registry when `cache`, `store` or `clock` is given
   */
  registry?: CircuitBreakerRegistry
  /** Store sharing circuit state, e.g. a `RedisStore`; the plugin then gets a private registry. @default none (memory) */
  store?: StateStore
  /** Source of time and of the per-request timeout timer; the plugin then gets a private registry. @default the system clock */
  clock?: Clock
  /** Put every route under its own circuit; opt a route out with `config: { circuitBreaker: false }`. @default false */
  global?: boolean
  /** Path of a `GET` route answering `registry.health()`: 200 when no circuit is open, else 503. @default none */
  statusRoute?: string
  /**
   * Log the state changes of this plugin's circuits through `fastify.log`: open at `warn`,
   * half-open and closed at `info`, each with `{ circuit, ... }` fields. @default true
   */
  logTransitions?: boolean
}

/** The defaults of `@fastify/circuit-breaker` that differ from the core's or are the plugin's own. */
export const COMPAT_DEFAULTS: {
  readonly timeout: 10_000
  readonly resetTimeout: 10_000
  readonly timeoutErrorMessage: 'Timeout'
  readonly circuitOpenErrorMessage: 'Circuit open'
} = Object.freeze({
  timeout: 10_000,
  resetTimeout: 10_000,
  timeoutErrorMessage: 'Timeout',
  circuitOpenErrorMessage: 'Circuit open',
})
