import type { ExecutionContext } from '@nestjs/common'
import type { CircuitBreakerRoute } from './circuit-breaker.route.ts'

/**
 * Thrown when a `@CircuitBreaker()` handler is called outside an HTTP request (a microservice
 * message, a GraphQL resolver, a WebSocket gateway): the handler does not run. Guard such calls
 * with a breaker from the injected `CircuitBreakerRegistry` (`breaker.execute(fn)`) instead.
 */
export class CircuitBreakerContextError extends Error {
  override readonly name = 'CircuitBreakerContextError'
  /** `ERR_CIRCUIT_CONTEXT`. */
  readonly code = 'ERR_CIRCUIT_CONTEXT'
  /** The breaker the handler would have used. */
  readonly circuit: string
  /** What Nest reported: `rpc`, `ws`, `graphql`, ... */
  readonly contextType: string

  constructor(route: CircuitBreakerRoute, context: ExecutionContext) {
    const type = context.getType<string>()
    super(
      `@CircuitBreaker() guards HTTP handlers only, and ${route.name} was called in a "${type}" ` +
        'context. Use a breaker from the injected CircuitBreakerRegistry (breaker.execute()) there.',
    )
    this.circuit = route.name
    this.contextType = type
  }
}
