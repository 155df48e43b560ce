import type { ResolvedOptions } from './options.ts'
import type { WindowTotals } from './window.ts'

/** The counts a trip rule reads: a window's running counters or a store's aggregated totals. */
export type TripCounts = Pick<
  WindowTotals,
  'calls' | 'failures' | 'slowCalls' | 'consecutiveFailures' | 'netFailures'
>

/**
 * The trip rule: whether `totals` should open a closed circuit under `options`. Pure, so it
 * decides the same way over a local window and over counts aggregated by a shared store.
 */
export function shouldTrip(totals: TripCounts, options: ResolvedOptions): boolean {
  switch (options.strategy) {
    case 'consecutive':
      return totals.consecutiveFailures >= options.errorThreshold
    case 'net':
      return totals.netFailures >= options.errorThreshold
    case 'window':
      return totals.failures >= options.errorThreshold
    case 'rate':
      return rateExceeded(totals, options)
  }
}

function rateExceeded(totals: TripCounts, options: ResolvedOptions): boolean {
  if (totals.calls === 0 || totals.calls < options.minimumCalls) return false
  return ratesReached(totals, options)
}

/**
 * Whether the failure rate, or with `slowCallMs` the slow-call rate, of `totals` (calls > 0)
 * reaches its threshold: the `rate` trip rule, and the verdict of a half-open sample.
 */
export function ratesReached(
  totals: Pick<TripCounts, 'calls' | 'failures' | 'slowCalls'>,
  options: ResolvedOptions,
): boolean {
  if (totals.failures / totals.calls >= options.failureRateThreshold) return true
  return (
    options.slowCallMs !== undefined &&
    totals.slowCalls / totals.calls >= options.slowCallRateThreshold
  )
}

/** Failure ratio of `totals` (0 when there were no calls). */
export function failureRate(totals: WindowTotals): number {
  return totals.calls === 0 ? 0 : totals.failures / totals.calls
}

/** Slow-call ratio of `totals` (0 when there were no calls). */
export function slowCallRate(totals: WindowTotals): number {
  return totals.calls === 0 ? 0 : totals.slowCalls / totals.calls
}
