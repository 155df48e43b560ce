import type { ResolvedOptions } from './options.ts'
import type { Outcome } from './permit.ts'

/**
 * How a thrown `error` counts, as resilience4j, opossum and pybreaker count it: an error in
 * `ignoreErrors` is ignored (neither success nor failure); an error that `recordErrors` does not
 * list, or that `isFailure` rejects, is a success (the downstream answered, the error is the
 * caller's business: a 404, a validation error); anything else is a failure. `args` are the
 * call's arguments, passed on to `isFailure` (opossum's `errorFilter(error, ...args)`).
 */
export function classifyError(
  error: unknown,
  options: ResolvedOptions,
  args: readonly unknown[] = NO_ARGS,
): Outcome {
  for (const type of options.ignoreErrors) if (error instanceof type) return 'ignore'
  const { recordErrors, isFailure } = options
  if (recordErrors !== undefined && !recordErrors.some((type) => error instanceof type))
    return 'success'
  if (isFailure !== undefined && !isFailure(error, ...args)) return 'success'
  return 'failure'
}

const NO_ARGS: readonly unknown[] = []

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
