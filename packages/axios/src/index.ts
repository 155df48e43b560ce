export { defaultRegistry } from '@tripswitch/core'
export { attachCircuitBreaker, type Detach } from './attach.ts'
export type {
  AttachOptions,
  AxiosBreakerOptions,
  AxiosCircuitOpenError,
  AxiosDetectError,
  AxiosOutcomeContext,
  AxiosOutcomeOptions,
  KeyFunction,
  KeyMode,
  RequestCircuitOptions,
} from './options.ts'
export { unlessCircuitOpen } from './retry.ts'
