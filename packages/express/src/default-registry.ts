import { CircuitBreakerRegistry } from '@tripswitch/core'

/**
 * The registry used by {@link circuitBreaker} when no `registry` option is given (and no
 * `store` or `clock` asks for a private one), and by {@link circuitStatus} without an argument.
 * Bounded by core's default `maxBreakers` (1,000).
 */
export const defaultRegistry: CircuitBreakerRegistry = new CircuitBreakerRegistry()
