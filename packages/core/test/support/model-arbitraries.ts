import fc from 'fast-check'
import type { ModelConfig } from './model-config.ts'

/** Recovery timeout of every model run, in ms (ticks are drawn around its multiples). */
export const RECOVERY_TIMEOUT = 1_000
const RT = RECOVERY_TIMEOUT

const backoffArb = fc.option(
  fc.record({
    multiplier: fc.constantFrom(2, 3),
    maxRecoveryTimeout: fc.constantFrom(RT, 3 * RT, 4 * RT),
  }),
  { nil: undefined },
)

// Half the runs have a bulkhead; a tight one (1) makes most overlapping calls busy, so the
// bounds up to 4 leave room for probes and trips too.
const maxConcurrentArb = fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined, freq: 2 })

/** How half-open decides: probe by probe (with recoveryThreshold), or on a sample. */
const halfOpenArb = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({
      halfOpenSampling: fc.constant(false),
      recoveryThreshold: fc.integer({ min: 1, max: 3 }),
      halfOpenMaxCalls: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      halfOpenSampling: fc.constant(true),
      recoveryThreshold: fc.constant(1),
      halfOpenMaxCalls: fc.integer({ min: 1, max: 4 }),
    }),
  },
)

const shared = {
  start: fc.constantFrom(0, 1_000_000),
  recoveryTimeout: fc.constant(RT),
  backoff: backoffArb,
  // The default (twice the recovery timeout: the probe lease), shorter, and longer than a lease.
  halfOpenMaxWait: fc.constantFrom(2 * RT, RT / 2, 3 * RT),
  afterHalfOpenWait: fc.constantFrom('open' as const, 'closed' as const),
  // Also what a half-open sample is judged against, whatever the strategy.
  failureRateThreshold: fc.constantFrom(0.2, 1 / 3, 0.5, 0.6, 1),
  maxConcurrent: maxConcurrentArb,
  // One run in three in shadow mode.
  mode: fc.constantFrom('enforce' as const, 'enforce' as const, 'shadow' as const),
}

/** Configurations of the `consecutive` strategy. */
export const consecutiveConfig: fc.Arbitrary<ModelConfig> = fc
  .tuple(
    fc.record({
      ...shared,
      strategy: fc.constant('consecutive' as const),
      errorThreshold: fc.integer({ min: 1, max: 4 }),
      windowSize: fc.constant(0),
      minimumCalls: fc.constant(0),
    }),
    halfOpenArb,
  )
  .map(([c, halfOpen]) => ({ ...c, ...halfOpen }))

/** Configurations of the `rate` strategy over a count window. */
export const rateConfig: fc.Arbitrary<ModelConfig> = fc
  .tuple(
    fc.record({
      ...shared,
      strategy: fc.constant('rate' as const),
      errorThreshold: fc.constant(0),
      windowSize: fc.integer({ min: 1, max: 6 }),
      minimumCalls: fc.integer({ min: 1, max: 6 }),
    }),
    halfOpenArb,
  )
  .map(([c, halfOpen]) => ({
    ...c,
    ...halfOpen,
    minimumCalls: Math.min(c.minimumCalls, c.windowSize),
  }))
