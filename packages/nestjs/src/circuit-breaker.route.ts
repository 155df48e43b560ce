import { type BreakerDefaults, InvalidOptionsError } from '@tripswitch/core'
import type { HttpDetectError } from '@tripswitch/core/adapter'
import type {
  CircuitBreakerDecoratorOptions,
  CircuitBreakerFallback,
} from './circuit-breaker.options.ts'
import { ownOptions } from './circuit-breaker.own-options.ts'

// The decorator options that are the adapter's; the rest go to core.
const ADAPTER_OPTIONS = ['name', 'detectError', 'fallback']

/** What the interceptor needs for one handler: class and handler options merged. */
export interface CircuitBreakerRoute {
  /** Breaker name in the registry. */
  readonly name: string
  /** Passed to `registry.get(name, options)`; core validates and defaults them. */
  readonly breakerOptions: BreakerDefaults
  readonly detectError: HttpDetectError | undefined
  readonly fallback: CircuitBreakerFallback | undefined
}

/**
 * Merges the options of `@CircuitBreaker()` on a controller and on one of its handlers
 * (handler wins); `null` when neither is decorated, or the handler has `@SkipCircuitBreaker()`.
 * @throws {InvalidOptionsError} when a handler has both `@CircuitBreaker()` and
 *   `@SkipCircuitBreaker()`.
 */
export function routeOf(
  controller: { readonly name: string },
  handler: { readonly name: string },
  classOptions: Readonly<CircuitBreakerDecoratorOptions> | undefined,
  handlerOptions: Readonly<CircuitBreakerDecoratorOptions> | undefined,
  skipped = false,
): CircuitBreakerRoute | null {
  if (skipped && handlerOptions !== undefined) {
    const where = `${controller.name}.${handler.name}`
    const rule = `absent on ${where}, which has @SkipCircuitBreaker() (keep one of the two)`
    throw new InvalidOptionsError('@CircuitBreaker()', rule, handlerOptions)
  }
  if (skipped || (classOptions === undefined && handlerOptions === undefined)) return null
  // Prototype-free: `merged.name` must never read a value set on Object.prototype.
  const merged: CircuitBreakerDecoratorOptions = Object.assign(
    Object.create(null) as CircuitBreakerDecoratorOptions,
    classOptions,
    handlerOptions,
  )
  const { name, detectError, fallback } = merged
  return {
    name: name ?? `${controller.name}.${handler.name}`,
    breakerOptions: ownOptions(merged, ADAPTER_OPTIONS) as BreakerDefaults,
    detectError,
    fallback,
  }
}
