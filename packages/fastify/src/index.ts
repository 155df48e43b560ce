import { fastifyCircuitBreaker } from './plugin.ts'

export type { FastifyCircuitBreakerBeforeHandler } from './augment.ts'
export {
  CIRCUIT_OPEN_CODE,
  CIRCUIT_TIMEOUT_CODE,
  CircuitBreakerOpenError,
  CircuitBreakerTimeoutError,
} from './errors.ts'
export {
  type CircuitAnswerHook,
  type CircuitBreakerRouteOptions,
  COMPAT_DEFAULTS,
  type FastifyCircuitBreakerOptions,
} from './options.ts'
export { type FastifyCircuitBreakerPlugin, fastifyCircuitBreaker } from './plugin.ts'

export default fastifyCircuitBreaker
