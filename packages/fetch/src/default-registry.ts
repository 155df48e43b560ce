import { CircuitBreakerRegistry } from '@tripswitch/core'

/**
 * The registry {@link withCircuitBreaker} and the undici interceptor use when no `registry`
 * option is given. Bounded by core's default `maxBreakers` (1,000); `defaultRegistry.health()`
 * is a readiness report.
 */
export const defaultRegistry: CircuitBreakerRegistry = new CircuitBreakerRegistry()
