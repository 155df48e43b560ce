export { captureErrors } from './capture-errors.ts'
export { defaultRegistry } from './default-registry.ts'
export { type CircuitBreakerMiddleware, circuitBreaker } from './middleware.ts'
export type {
  CircuitBreakerMiddlewareOptions,
  CircuitOpenHandler,
  ExpressAdapterOptions,
  ExpressBreakerOptions,
  WithoutRegistry,
  WithRegistry,
} from './options.ts'
export { circuitStatus } from './status.ts'
