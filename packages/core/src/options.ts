import type { Clock } from './clock.ts'
import type { StateStore } from './store.ts'

/** How a circuit decides to open. See {@link CircuitBreakerOptions.strategy}. */
export type Strategy = 'consecutive' | 'net' | 'window' | 'rate'

/** An error class, matched with `instanceof` (subclasses included). */
export type ErrorClass = abstract new (...args: never[]) => unknown

/** `enforce`: refuse calls while open; `shadow`: count and report, never refuse. */
export type BreakerMode = 'enforce' | 'shadow'

/** Open-duration growth after repeated trips. */
export interface BackoffOptions {
  /** Each consecutive opening lasts this many times longer than the one before. @default 2 */
  multiplier?: number
  /** Upper bound of the open duration, in milliseconds. @default 300_000 */
  maxRecoveryTimeout?: number
  /** Random spread of the open duration, as a fraction (0.1 = ±10 %); 0 disables. @default 0.1 */
  jitter?: number
}

/**
 * Options of a {@link CircuitBreaker}. `undefined` always means "the default". Every field is
 * validated at construction; a bad value throws {@link InvalidOptionsError}.
 */
export interface CircuitBreakerOptions {
  /** Name of the circuit, used in errors, events, snapshots and store keys. @default a random UUID */
  name?: string
  /**
   * How the circuit trips:
   * - `consecutive`: `errorThreshold` failures in a row (a success resets the count);
   * - `net`: failures minus successes reaches `errorThreshold` (never below 0);
   * - `window`: `errorThreshold` failures within the last `windowMs`;
   * - `rate`: failures / calls >= `failureRateThreshold` (or slow / calls >= `slowCallRateThreshold`)
   *   once `minimumCalls` calls are in the window (the last `windowSize` calls, or the last `windowMs`).
   * @default 'consecutive'
   */
  strategy?: Strategy
  /** Failure count that trips `consecutive`, `net` and `window`. An integer >= 1. @default 5 */
  errorThreshold?: number
  /** Length of the time window for `window`, and for `rate` without `windowSize`, in ms. @default 10_000 */
  windowMs?: number
  /** `rate` only: a count-based window of the last N calls instead of a time window. @default undefined */
  windowSize?: number
  /** `rate`, or with `halfOpenSampling`: failure ratio (0 < r <= 1) that trips the circuit. @default 0.5 */
  failureRateThreshold?: number
  /** `rate` only: calls needed in the window before a ratio can trip. @default 10 (at most `windowSize`) */
  minimumCalls?: number
  /** `rate` only: a call that takes longer than this many ms counts as slow. @default undefined (off) */
  slowCallMs?: number
  /** `rate` only, with `slowCallMs`: slow-call ratio (0 < r <= 1) that trips the circuit. @default 1 */
  slowCallRateThreshold?: number
  /** Milliseconds the circuit stays open before a probe is allowed. @default 30_000 */
  recoveryTimeout?: number
  /** Lengthen the open duration after each failed recovery. @default undefined (fixed duration) */
  backoff?: BackoffOptions
  /** Probe successes needed in half_open to close. @default 1 */
  recoveryThreshold?: number
  /** Probes allowed at once in half_open; other calls are rejected. @default 1 */
  halfOpenMaxCalls?: number
  /**
   * Longest the circuit stays half-open without a decision (probes ignored, or never settling),
   * in ms; then it goes to `afterHalfOpenWait` (resilience4j `maxWaitDurationInHalfOpenState`).
   * @default twice the larger of `timeout` and `recoveryTimeout` (the probe lease)
   */
  halfOpenMaxWait?: number
  /**
   * Half-open sampling (resilience4j `permittedNumberOfCallsInHalfOpenState`): let
   * `halfOpenMaxCalls` probes through and decide on their failure and slow-call rates against
   * `failureRateThreshold` and `slowCallRateThreshold` (reopen when either is reached, close
   * otherwise), instead of reopening at the first failed probe. Counted in the store, so shared
   * by every process. Not with `recoveryThreshold`. @default false
   */
  halfOpenSampling?: boolean
  /** Where a half-open circuit goes once `halfOpenMaxWait` has passed. @default 'open' */
  afterHalfOpenWait?: 'open' | 'closed'
  /**
   * Calls allowed to run at once (a bulkhead, opossum `capacity`); more are refused at once with
   * `CircuitBusyError` (`ERR_CIRCUIT_BUSY`), not counted as failures. @default none (unbounded)
   */
  maxConcurrent?: number
  /**
   * `shadow` (resilience4j `METRICS_ONLY`): the breaker counts, moves and reports as usual but
   * never refuses a call, a safe way to roll it out; a call it would have refused emits `reject`
   * with `shadow: true` and runs. @default 'enforce'
   */
  mode?: BreakerMode
  /**
   * Longest hold a callee's `Retry-After` (`permit.failure(error, { retryAfterMs })`) may put on
   * the circuit, in ms: one upstream answering `Retry-After: 99999999` must not keep it open for
   * weeks. @default `backoff.maxRecoveryTimeout` when `backoff` is set, else the larger of
   * `recoveryTimeout` and 600_000 (10 minutes)
   */
  maxRetryAfter?: number
  /** Milliseconds after which a call fails with `CircuitTimeoutError` and its signal aborts. @default undefined (none) */
  timeout?: number
  /** Classifies a resolved result: `true` means the call failed. @default undefined (results succeed) */
  detectError?: (result: unknown) => boolean
  /**
   * Classifies a thrown error: `false` counts it as a success (the downstream answered; the
   * error still reaches the caller). Receives the call's arguments after the error (those of a
   * `wrap()`ped function). @default every error fails
   */
  isFailure?: (error: unknown, ...args: unknown[]) => boolean
  /** Error classes that are never counted, neither success nor failure (subclasses too); they still reach the caller. @default [] */
  ignoreErrors?: readonly ErrorClass[]
  /** When given, only these error classes count as failures; other errors count as successes. @default undefined */
  recordErrors?: readonly ErrorClass[]
  /** Answers in place of a rejected, timed-out or failed call: `(error, ...args) => value`. @default undefined */
  fallback?: (error: unknown, ...args: unknown[]) => unknown
  /** Shortcut for `on('open', ...)`. */
  onOpen?: (event: { name: string; retryAfterMs: number }) => void
  /** Shortcut for `on('close', ...)`. */
  onClose?: (event: { name: string }) => void
  /** Shortcut for `on('halfOpen', ...)`. */
  onHalfOpen?: (event: { name: string }) => void
  /** Source of time. @default systemClock */
  clock?: Clock
  /** Shares state across breakers of the same name (and processes, with a Redis store). @default none (local) */
  store?: StateStore
}

/** {@link BackoffOptions} with every default applied. */
export interface ResolvedBackoff {
  readonly multiplier: number
  readonly maxRecoveryTimeout: number
  readonly jitter: number
}

/** {@link CircuitBreakerOptions} after validation, with every default applied. */
export interface ResolvedOptions {
  readonly strategy: Strategy
  readonly errorThreshold: number
  readonly windowMs: number
  readonly windowSize: number | undefined
  readonly failureRateThreshold: number
  readonly minimumCalls: number
  readonly slowCallMs: number | undefined
  readonly slowCallRateThreshold: number
  readonly recoveryTimeout: number
  readonly backoff: ResolvedBackoff | undefined
  readonly recoveryThreshold: number
  readonly halfOpenMaxCalls: number
  readonly halfOpenMaxWait: number
  readonly afterHalfOpenWait: 'open' | 'closed'
  readonly halfOpenSampling: boolean
  readonly maxConcurrent: number | undefined
  readonly mode: BreakerMode
  readonly maxRetryAfter: number
  readonly timeout: number | undefined
  readonly detectError: ((result: unknown) => boolean) | undefined
  readonly isFailure: ((error: unknown, ...args: unknown[]) => boolean) | undefined
  readonly ignoreErrors: readonly ErrorClass[]
  readonly recordErrors: readonly ErrorClass[] | undefined
  readonly fallback: ((error: unknown, ...args: unknown[]) => unknown) | undefined
  readonly onOpen: ((event: { name: string; retryAfterMs: number }) => void) | undefined
  readonly onClose: ((event: { name: string }) => void) | undefined
  readonly onHalfOpen: ((event: { name: string }) => void) | undefined
  readonly clock: Clock
  readonly store: StateStore | undefined
}
