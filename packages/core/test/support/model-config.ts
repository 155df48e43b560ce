import type { CircuitBreakerOptions, Clock } from '@tripswitch/core'

/** Per-run configuration of the breaker under test (and of its model). */
export interface ModelConfig {
  /** Start time of the fake clock. */
  readonly start: number
  readonly strategy: 'consecutive' | 'rate'
  /** `consecutive`: failures in a row that trip. */
  readonly errorThreshold: number
  /** `rate`: size of the count window (the last N counted calls). */
  readonly windowSize: number
  /** `rate`: calls needed in the window before the rate can trip. */
  readonly minimumCalls: number
  /** `rate`, and a half-open sample: failure ratio that trips (or reopens). */
  readonly failureRateThreshold: number
  readonly recoveryTimeout: number
  /** Backoff without jitter (so open durations are predictable), or none. */
  readonly backoff: { readonly multiplier: number; readonly maxRecoveryTimeout: number } | undefined
  /** Probe successes that close; 1 (and not passed) with `halfOpenSampling`. */
  readonly recoveryThreshold: number
  readonly halfOpenMaxCalls: number
  /** Probes decide together on their failure rate instead of one by one. */
  readonly halfOpenSampling: boolean
  /** Longest half-open phase without a decision, in ms. */
  readonly halfOpenMaxWait: number
  /** Where a half-open phase that waited that long goes. */
  readonly afterHalfOpenWait: 'open' | 'closed'
  /** Calls running at once beyond which a call is busy; undefined: unbounded. */
  readonly maxConcurrent: number | undefined
  /** `shadow`: nothing is refused, a call that would be runs uncounted. */
  readonly mode: 'enforce' | 'shadow'
}

/** The options that build the real breaker described by `config`. */
export function breakerOptions(config: ModelConfig, clock: Clock): CircuitBreakerOptions {
  const sampling = config.halfOpenSampling
  const common: CircuitBreakerOptions = {
    name: 'model',
    clock,
    recoveryTimeout: config.recoveryTimeout,
    // recoveryThreshold is refused with halfOpenSampling: the sample decides.
    recoveryThreshold: sampling ? undefined : config.recoveryThreshold,
    halfOpenMaxCalls: config.halfOpenMaxCalls,
    halfOpenSampling: sampling || undefined,
    halfOpenMaxWait: config.halfOpenMaxWait,
    afterHalfOpenWait: config.afterHalfOpenWait,
    backoff: config.backoff === undefined ? undefined : { ...config.backoff, jitter: 0 },
    maxConcurrent: config.maxConcurrent,
    mode: config.mode,
  }
  if (config.strategy === 'consecutive') {
    return {
      ...common,
      strategy: 'consecutive',
      errorThreshold: config.errorThreshold,
      // Only a half-open sample reads a failure rate under 'consecutive'.
      failureRateThreshold: sampling ? config.failureRateThreshold : undefined,
    }
  }
  return {
    ...common,
    strategy: 'rate',
    windowSize: config.windowSize,
    minimumCalls: config.minimumCalls,
    failureRateThreshold: config.failureRateThreshold,
  }
}
