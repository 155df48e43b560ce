/** Every default of the core in one place; the resolver and the docs both read from here. */
export const DEFAULTS = {
  strategy: 'consecutive',
  errorThreshold: 5,
  windowMs: 10_000,
  failureRateThreshold: 0.5,
  minimumCalls: 10,
  slowCallRateThreshold: 1,
  recoveryTimeout: 30_000,
  recoveryThreshold: 1,
  halfOpenMaxCalls: 1,
  backoffMultiplier: 2,
  backoffMaxRecoveryTimeout: 300_000,
  backoffJitter: 0.1,
  maxBreakers: 1_000,
  /** Floor of the default `maxRetryAfter` (the larger of this and `recoveryTimeout`). */
  maxRetryAfter: 600_000,
} as const

/** Largest delay a JavaScript timer honours (Node clamps larger values to 1 ms). */
export const MAX_DURATION_MS = 2_147_483_647

/** Longest count-based window (`windowSize`): one byte per slot, so a breaker stays small. */
export const MAX_WINDOW_SIZE = 100_000
