import type { CircuitBreakerRegistry } from '@tripswitch/core'
import type { preHandlerAsyncHookHandler } from 'fastify'
import type { CircuitBreakerRouteOptions } from './options.ts'

/** The preHandler returned by `app.circuitBreaker()`: put it on a route to guard it. */
export type FastifyCircuitBreakerBeforeHandler = preHandlerAsyncHookHandler

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * A new circuit (each call is one) as a preHandler; `options` override the plugin's.
     * @throws {InvalidOptionsError} when an option is invalid.
     */
    circuitBreaker(options?: CircuitBreakerRouteOptions | null): FastifyCircuitBreakerBeforeHandler
    /** The registry holding every circuit of the plugin. */
    circuitBreakers: CircuitBreakerRegistry
  }

  interface FastifyRequest {
    /** Clock time (ms) the request was admitted by a circuit; 0 if none admitted it. */
    _cbTime: number
    /** True when a circuit refused the request. */
    _cbIsOpen: boolean
    /** Id of the circuit that admitted the request; 0 on routes without one. */
    _cbRouteId: number
  }

  interface FastifyContextConfig {
    /** This route's circuit options, or `false` to leave the route out under `global: true`. */
    circuitBreaker?: CircuitBreakerRouteOptions | false
  }
}
