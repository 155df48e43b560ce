export { CircuitBreakerContextError } from './circuit-breaker.context-error.ts'
export type { TripswitchDashboardOptions } from './circuit-breaker.dashboard-options.ts'
export { CircuitBreaker } from './circuit-breaker.decorator.ts'
export { CircuitOpenException } from './circuit-breaker.exception.ts'
export {
  type CircuitBreakerHealthDetails,
  CircuitBreakerHealthIndicator,
  type CircuitBreakerHealthResult,
} from './circuit-breaker.health-indicator.ts'
export { CircuitBreakerInterceptor } from './circuit-breaker.interceptor.ts'
export { TripswitchModule } from './circuit-breaker.module.ts'
export {
  TRIPSWITCH_MODULE_OPTIONS,
  type TripswitchModuleAsyncOptions,
  type TripswitchModuleExtras,
  type TripswitchOptionsFactory,
} from './circuit-breaker.module-definition.ts'
export type {
  CircuitBreakerDecoratorOptions,
  CircuitBreakerFallback,
  TripswitchModuleOptions,
} from './circuit-breaker.options.ts'
export { SkipCircuitBreaker } from './circuit-breaker.skip.ts'
export { CircuitBreakerTransitions } from './circuit-breaker.transitions.ts'
