export { defaultRegistry } from '@tripswitch/core'
export {
  type FetchFunction,
  type GuardedFetch,
  type ResponseLike,
  withCircuitBreaker,
} from './fetch.ts'
export type {
  BreakerRequest,
  CircuitInit,
  FetchBreakerOptions,
  FetchCircuitOptions,
  FetchDetectError,
  FetchOutcomeOptions,
  KeyFunction,
  KeyMode,
  KeyOption,
  OnCircuitOpen,
  RequestCircuitOptions,
  SharedOptions,
} from './options.ts'
