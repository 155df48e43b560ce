export { defaultRegistry } from '@tripswitch/core'
export { captureErrors } from './capture-errors.ts'
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
export type { TransitionLogger } from './transitions.ts'
