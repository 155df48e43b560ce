import type { ExecutionContext } from '@nestjs/common'
import type {
  BreakerDefaults,
  CircuitBreakerRegistry,
  CircuitOpenError,
  Clock,
  StateStore,
} from '@tripswitch/core'
import type { HttpDetectError } from '@tripswitch/core/adapter'
import type { TripswitchDashboardOptions } from './circuit-breaker.dashboard-options.ts'

/**
 * Options of `TripswitchModule.forRoot()` (and what a `forRootAsync` factory returns). Either
 * configure the module's own registry (`defaults`, `store`, `clock`, `maxBreakers`) or hand it
 * one with `registry`.
 */
export interface TripswitchModuleOptions {
  /** Options every breaker starts from; `@CircuitBreaker()` options win. @default {} */
  defaults?: BreakerDefaults
  /** State store shared by every breaker (e.g. a Redis store). @default none (in-process state) */
  store?: StateStore
  /** Source of time of every breaker; tests pass a `FakeClock`. @default systemClock */
  clock?: Clock
  /** Most breakers held at once (least recently used idle ones are evicted). @default 1_000 */
  maxBreakers?: number
  /**
   * A registry made elsewhere, used as is. Not with `defaults`, `store`, `clock` or `maxBreakers`.
   * @default core's `defaultRegistry()` (shared with every adapter given no registry), or a new
   * registry when `defaults`, `store`, `clock` or `maxBreakers` is given
   */
  registry?: CircuitBreakerRegistry
  /**
   * Log the state changes of the breakers `@CircuitBreaker()` handlers use through Nest's
   * `Logger` (context `Tripswitch`): open at warn, half-open and close at log level.
   * @default true
   */
  logTransitions?: boolean
  /**
   * Serves the `@tripswitch/dashboard` status page over this module's registry at
   * `dashboard.path` (`'/circuits'`), on the Express or Fastify platform; `createDashboard`'s
   * other options (`authorize`, `log`, `intervalMs`, ...) go beside it. The module's `store`
   * is passed too, so a `RedisStore` shows the fleet. Needs `@tripswitch/dashboard` installed.
   * @default none (no dashboard)
   */
  dashboard?: TripswitchDashboardOptions
}

/**
 * Answers a request refused by an open circuit instead of the 503: its return value (a value, a
 * promise or an observable) becomes the response, as the handler's would.
 */
export type CircuitBreakerFallback = (error: CircuitOpenError, context: ExecutionContext) => unknown

/**
 * Options of `@CircuitBreaker()`. Every core breaker option (`errorThreshold`, `strategy`,
 * `recoveryTimeout`, ...) is accepted and validated by core over the module's `defaults` when
 * the module starts. Handler options override class options.
 */
export interface CircuitBreakerDecoratorOptions
  extends Omit<BreakerDefaults, 'detectError' | 'fallback' | 'timeout'> {
  /**
   * Breaker name (key in the registry). On a class, every handler of the class shares this one
   * breaker. @default `<Controller>.<handler>`: one breaker per handler
   */
  name?: string
  /**
   * Classifies a finished call, `true` = failure. `statusCode` is the response status (or, for
   * a thrown error, the status it maps to, 500 when none). @default status >= 500 fails
   */
  detectError?: HttpDetectError
  /** Answers refused requests instead of throwing `CircuitOpenException`. @default none */
  fallback?: CircuitBreakerFallback
}
