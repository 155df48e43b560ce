export { CircuitBreaker, type ExecuteOptions, type Guarded } from './circuit-breaker.ts'
export { type Clock, systemClock } from './clock.ts'
export { defaultRegistry } from './default-registry.ts'
export { DEFAULTS } from './defaults.ts'
export {
  type CallEndMessage,
  type CallStartMessage,
  DIAGNOSTICS_CHANNELS,
  type RejectMessage,
  type TransitionMessage,
} from './diagnostics.ts'
export {
  CircuitBusyError,
  CircuitOpenError,
  CircuitTimeoutError,
  ErrorCode,
  InvalidOptionsError,
  isCircuitBusyError,
  isCircuitOpenError,
  isCircuitTimeoutError,
  isInvalidOptionsError,
  isTripswitchError,
  ListenerError,
  TripswitchError,
} from './errors.ts'
export type { CircuitBreakerEvents, Listener, OpenReason, Unsubscribe } from './events.ts'
export { healthStatusCode } from './http.ts'
export { MemoryStore, type MemoryStoreOptions } from './memory-store.ts'
export type {
  BackoffOptions,
  BreakerMode,
  CircuitBreakerOptions,
  ErrorClass,
  ResolvedBackoff,
  ResolvedOptions,
  Strategy,
} from './options.ts'
export type { FailureDetails, Outcome, Permit } from './permit.ts'
export {
  type BreakerDefaults,
  CircuitBreakerRegistry,
  type CircuitBreakerRegistryOptions,
  OVERFLOW_BREAKER_NAME,
  type RegistryEvents,
  type RegistryHealth,
} from './registry.ts'
export type { CircuitSnapshot } from './snapshot.ts'
export { CircuitState, isCircuitState } from './state.ts'
export type {
  Awaitable,
  OutcomeBatch,
  OutcomeFeed,
  OutcomeTracking,
  ProbeGrant,
  ProbeRelease,
  ProbeReleaseResult,
  ProbeRequest,
  RecordResult,
  SharedState,
  StateStore,
  TransitionRequest,
  WindowSpec,
} from './store.ts'
export type { CircuitTotals } from './totals.ts'
export type { WindowTotals } from './window.ts'
