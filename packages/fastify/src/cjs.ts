import type * as api from './index.ts'
import {
  CIRCUIT_OPEN_CODE,
  CIRCUIT_TIMEOUT_CODE,
  CircuitBreakerOpenError,
  CircuitBreakerTimeoutError,
  COMPAT_DEFAULTS,
  fastifyCircuitBreaker as plugin,
} from './index.ts'

/** The CommonJS export: the plugin itself, carrying every named export of the ESM entry. */
type CommonJsExport = api.FastifyCircuitBreakerPlugin & {
  readonly CIRCUIT_OPEN_CODE: typeof CIRCUIT_OPEN_CODE
  readonly CIRCUIT_TIMEOUT_CODE: typeof CIRCUIT_TIMEOUT_CODE
  readonly COMPAT_DEFAULTS: typeof COMPAT_DEFAULTS
  readonly CircuitBreakerOpenError: typeof CircuitBreakerOpenError
  readonly CircuitBreakerTimeoutError: typeof CircuitBreakerTimeoutError
}

// `require('@tripswitch/fastify')` must return the plugin function, as it does for
// @fastify/circuit-breaker; tsdown emits `module.exports =` for an entry whose only export is
// the default, and `export =` in its declarations.
const fastifyCircuitBreaker: CommonJsExport = Object.assign(plugin, {
  CIRCUIT_OPEN_CODE,
  CIRCUIT_TIMEOUT_CODE,
  COMPAT_DEFAULTS,
  CircuitBreakerOpenError,
  CircuitBreakerTimeoutError,
} as const)

// The types of the ESM entry, reachable from CommonJS TypeScript through the `export =` value.
// They go through top-level aliases: the declaration bundler flattens `api.X` to `X`, which
// inside the namespace would name the member itself.
type Options = api.FastifyCircuitBreakerOptions
type RouteOptions = api.CircuitBreakerRouteOptions
type AnswerHook = api.CircuitAnswerHook
type BeforeHandler = api.FastifyCircuitBreakerBeforeHandler
type Plugin = api.FastifyCircuitBreakerPlugin
type OpenError = api.CircuitBreakerOpenError
type TimeoutError = api.CircuitBreakerTimeoutError

declare namespace fastifyCircuitBreaker {
  export type FastifyCircuitBreakerOptions = Options
  export type CircuitBreakerRouteOptions = RouteOptions
  export type CircuitAnswerHook = AnswerHook
  export type FastifyCircuitBreakerBeforeHandler = BeforeHandler
  export type FastifyCircuitBreakerPlugin = Plugin
  export type CircuitBreakerOpenError = OpenError
  export type CircuitBreakerTimeoutError = TimeoutError
}

export default fastifyCircuitBreaker
