export { defaultRegistry } from '@tripswitch/core'
export { circuitBreaker } from './interceptor.ts'
export type {
  DispatchDetectError,
  DispatchResponse,
  InterceptorOptions,
} from './interceptor-options.ts'
export type {
  BreakerRequest,
  FetchBreakerOptions,
  KeyFunction,
  KeyMode,
  KeyOption,
  SharedOptions,
} from './options.ts'
