export { CircuitBreaker, type ExecuteOptions, type Guarded } from './circuit-breaker.ts'
export { classifyError, filterThrownError } from './classify.ts'
export { type Clock, schedule, systemClock } from './clock.ts'
export { defaultRegistry } from './default-registry.ts'
export { DEFAULTS, MAX_DURATION_MS, MAX_WINDOW_SIZE } from './defaults.ts'
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
export {
  type HttpDetectError,
  type HttpOutcomeContext,
  healthStatusCode,
  inboundOutcome,
  type OpenCircuitBody,
  type OpenCircuitResponse,
  type OutboundOptions,
  openCircuitResponse,
  outboundOutcome,
  parseRetryAfter,
  retryAfterSeconds,
  statusOfError,
  type TimeoutBody,
  type TimeoutResponse,
  timeoutResponse,
} from './http.ts'
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
export { breakerName, OPTION_NAMES, resolveOptions, usedByStrategy } from './resolve-options.ts'
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
export {
  type BreakerEvent,
  type BreakerState,
  INITIAL_STATE,
  LEGAL_TRANSITIONS,
  transition,
} from './transition.ts'
export { failureRate, shouldTrip, slowCallRate, type TripCounts } from './trip.ts'
export { type Check, checks } from './validate.ts'
export type { WindowTotals } from './window.ts'
