import { applyDecorators, UseInterceptors } from '@nestjs/common'
import { CircuitBreakerInterceptor } from './circuit-breaker.interceptor.ts'
import { CircuitBreakerMetadata } from './circuit-breaker.metadata.ts'
import type { CircuitBreakerDecoratorOptions } from './circuit-breaker.options.ts'

/**
 * Guards a controller's handlers (on the class) or one handler (on a method) with a circuit
 * breaker: metadata plus `CircuitBreakerInterceptor`, so undecorated routes pay nothing.
 * Handler options override class options. On a class, each handler gets its own breaker unless
 * `name` is given. Needs `TripswitchModule` imported somewhere in the application.
 * @throws {InvalidOptionsError} at decoration for an unknown option or a bad adapter option.
 */
export function CircuitBreaker(
  options?: CircuitBreakerDecoratorOptions,
): ClassDecorator & MethodDecorator {
  return applyDecorators(
    CircuitBreakerMetadata(options),
    UseInterceptors(CircuitBreakerInterceptor),
  )
}
