/**
 * `@tripswitch/core/adapter`: what an adapter needs beyond what a user of the library calls.
 * The HTTP mapping (failure classification by status, `Retry-After`, the 503 body), outcome
 * classification of thrown errors, the option checks and the options resolver, and the timer
 * helper. Tripswitch's own adapters (Express, Fastify, NestJS, axios, fetch) are built on it, and
 * so can be a third party's.
 */
export { CircuitReading, everyBreaker, readCircuit } from './circuit-reading.ts'
export { classifyError, filterThrownError } from './classify.ts'
export { schedule } from './clock.ts'
export { Deadlines, type Waiting } from './deadlines.ts'
export { DEFAULTS, MAX_DURATION_MS, MAX_WINDOW_SIZE } from './defaults.ts'
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
export { breakerName, OPTION_NAMES, resolveOptions, usedByStrategy } from './resolve-options.ts'
export { NO_TOTALS } from './totals.ts'
export { failureRate, slowCallRate } from './trip.ts'
export { type Check, checks } from './validate.ts'
