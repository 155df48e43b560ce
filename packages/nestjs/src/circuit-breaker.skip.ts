import { type ReflectableDecorator, Reflector } from '@nestjs/core'

/** Set by {@link SkipCircuitBreaker} on a handler. */
export const SkipCircuitBreakerMetadata: ReflectableDecorator<void, true> =
  Reflector.createDecorator<void, true>({ transform: () => true })

/**
 * Leaves one handler of a controller decorated with `@CircuitBreaker()` unguarded (like
 * `@nestjs/throttler`'s `@SkipThrottle()`): a health check, a webhook that must always answer.
 * The handler gets no breaker and its calls count nowhere. Not together with
 * `@CircuitBreaker()` on the same handler (the module refuses to start).
 */
export function SkipCircuitBreaker(): MethodDecorator {
  return SkipCircuitBreakerMetadata()
}
