import type {
  BreakerDefaults,
  CircuitBreaker,
  CircuitBreakerRegistry,
  CircuitOpenError,
  Clock,
  StateStore,
} from '@tripswitch/core'
import type { HttpDetectError } from '@tripswitch/core/adapter'
import type { NextFunction, Request, Response } from 'express'
import type { TransitionLogger } from './transitions.ts'

/**
 * Answers a request the circuit refused, in place of the default 503. It may also call
 * `next(error)` to hand the refusal to the app's error handler, or `next()` to let the request
 * through unguarded. A thrown error or rejected promise goes to `next(error)`.
 */
export type CircuitOpenHandler = (
  req: Request,
  res: Response,
  next: NextFunction,
  error: CircuitOpenError,
) => unknown

/** Options that belong to the Express adapter; everything else is passed to the core breaker. */
export interface ExpressAdapterOptions {
  /**
   * Breaker key of a request. Runs when the request reaches the middleware; under `app.use`
   * the route is not matched yet at that point. Keys go through the registry and its bound.
   * Anything but a non-empty string of at most 256 characters (`undefined` included) sends an
   * `InvalidOptionsError` naming `key` to `next(error)`: a request is never let through unguarded.
   * @default method + mount path + route template, e.g. `GET /api/users/:id`
   */
  key?: (req: Request) => string
  /**
   * Classifies a finished exchange: `true` = failure, `false` = success. The `error` is the one
   * given to `next(err)` when {@link captureErrors} is installed, else undefined.
   * @default status >= 500 (or an error mapping to one) fails; anything else succeeds
   */
  detectError?: HttpDetectError<Request, Response>
  /** Replaces the default open-circuit answer (503 JSON). Not together with `fallback`. @default undefined */
  onCircuitOpen?: CircuitOpenHandler
  /** Answers a refused request instead of the guarded handler, e.g. from a cache. @default undefined */
  fallback?: CircuitOpenHandler
  /**
   * Milliseconds the handler has to start its answer (send headers). A slower one gets a 503
   * and counts as a failure; what it writes afterwards is dropped. Validated by core, which also
   * applies it to `execute()` calls on the same breaker and sizes half-open probe leases by it.
   * @default undefined (no timeout)
   */
  timeout?: number
  /**
   * Logs the state changes of this middleware's breakers: open at `warn`, half-open and closed
   * at `info`, as `(fields, message)` (pino's order; `console` works too).
   * @default undefined (nothing logged)
   */
  logger?: TransitionLogger
  /** Set `false` to keep a `logger` but log no state changes. @default true */
  logTransitions?: boolean
}

/** Core breaker options accepted by the middleware; `detectError` and `fallback` are HTTP-shaped here. */
export type ExpressBreakerOptions = Omit<BreakerDefaults, 'detectError' | 'fallback' | 'timeout'>

/** With a registry: breakers come from it, with its store and clock. */
export interface WithRegistry {
  /** Registry the breakers live in. @default core's process-wide `defaultRegistry()` */
  registry: CircuitBreakerRegistry
  /** Not accepted with a registry: use `key: () => 'name'`. */
  name?: undefined
  /** Not accepted with a registry: give the store to the registry. */
  store?: undefined
  /** Not accepted with a registry: give the clock to the registry. */
  clock?: undefined
}

/** Without a registry: core's default registry, or a private one when `store`/`clock` is given. */
export interface WithoutRegistry {
  /** Absent: breakers go to core's `defaultRegistry()`, or to a private registry (see `store`, `clock`). */
  registry?: undefined
  /** One fixed breaker name for every request instead of per-route keys. @default per-route keys */
  name?: string
  /** Shared state store; the middleware then gets a private registry. @default none (local state) */
  store?: StateStore
  /** Source of time; the middleware then gets a private registry. @default systemClock */
  clock?: Clock
}

/** Options of {@link circuitBreaker}: adapter options, core breaker options, and where breakers live. */
export type CircuitBreakerMiddlewareOptions = ExpressAdapterOptions &
  ExpressBreakerOptions &
  (WithRegistry | WithoutRegistry)

declare global {
  namespace Express {
    interface Locals {
      /** The breaker that guarded this request, set by `circuitBreaker()` once it chose the key. */
      circuitBreaker?: CircuitBreaker
    }
  }
}
