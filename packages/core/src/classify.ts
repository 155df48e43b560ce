import type { ResolvedOptions } from './options.ts'
import type { Outcome } from './permit.ts'

/**
 * Whether a thrown `error` counts: `ignoreErrors` wins, then `recordErrors` (only those count),
 * then `isFailure`. An ignored error is neither a success nor a failure.
 */
export function classifyError(error: unknown, options: ResolvedOptions): Outcome {
  for (const type of options.ignoreErrors) if (error instanceof type) return 'ignore'
  const { recordErrors, isFailure } = options
  if (recordErrors !== undefined && !recordErrors.some((type) => error instanceof type))
    return 'ignore'
  if (isFailure !== undefined && !isFailure(error)) return 'ignore'
  return 'failure'
}

/**
 * For adapters that classify by HTTP status: a `'failure'` that carries a thrown `error` passes
 * the breaker's error filters (`ignoreErrors`, `recordErrors`, `isFailure`) as in `execute()`, so
 * those options act on a handler's errors too. Any other outcome is returned unchanged.
 */
export function filterThrownError(
  outcome: Outcome,
  error: unknown,
  options: ResolvedOptions,
): Outcome {
  return outcome === 'failure' && error !== undefined ? classifyError(error, options) : outcome
}

/** How long to stay open after the `openings`-th opening in a row, in ms (backoff and jitter). */
export function openDuration(
  options: ResolvedOptions,
  openings: number,
  random: () => number,
): number {
  const { backoff, recoveryTimeout } = options
  if (backoff === undefined) return recoveryTimeout
  const grown = recoveryTimeout * backoff.multiplier ** Math.max(0, openings - 1)
  const capped = Math.min(grown, backoff.maxRecoveryTimeout)
  const spread = capped * backoff.jitter * (2 * random() - 1)
  // The cap bounds the jittered duration too: maxRecoveryTimeout is an upper bound.
  return Math.max(1, Math.min(backoff.maxRecoveryTimeout, Math.round(capped + spread)))
}
