import { MAX_DURATION_MS } from './defaults.ts'
import { ErrorCode, InvalidOptionsError, TripswitchError } from './errors.ts'

/** How a permitted call ended. */
export type Outcome = 'success' | 'failure' | 'ignore'

/**
 * Permission to make one call, from {@link CircuitBreaker.acquire}. Settle it exactly once:
 * `success()`, `failure(error)` or `ignore()` (neither: an aborted request, an ignored error).
 * Settling twice throws `ERR_CIRCUIT_PERMIT_SETTLED`.
 */
export interface Permit {
  /** True when this call is a half-open probe. */
  readonly probe: boolean
  /** The call succeeded. */
  success(): void
  /**
   * The call failed with `error` (omit it for a failed result). `details.retryAfterMs`: the
   * callee asked not to be called for that long (its `Retry-After`).
   */
  failure(error?: unknown, details?: FailureDetails): void
  /** The call neither succeeded nor failed; a probe's slot is freed. */
  ignore(): void
  /**
   * Settles with a classified `outcome` (adapters classify, then settle); `error` and `details`
   * for a failure, as in {@link Permit.failure}.
   */
  settle(outcome: Outcome, error?: unknown, details?: FailureDetails): void
}

/** What the callee said about a failure, beyond the error. */
export interface FailureDetails {
  /**
   * Milliseconds the callee asked not to be called for (an HTTP `Retry-After`). When this
   * failure, or another before that time has passed, opens the circuit, it stays open at least
   * until then, in every process sharing the store. Capped by the breaker's `maxRetryAfter`.
   * A finite number >= 0. @default 0 (no request)
   */
  readonly retryAfterMs?: number
}

/** What a permit reports to when settled. */
export interface PermitOwner {
  /** `retryAfterMs`: the failure's validated `details.retryAfterMs`, 0 when none. */
  settle(permit: CallPermit, outcome: Outcome, error: unknown, retryAfterMs: number): void
}

/** The permit implementation: the breaker's bookkeeping for one admitted call. */
export class CallPermit implements Permit {
  private settled = false

  constructor(
    private readonly owner: PermitOwner,
    /** Generation of the circuit when the call was admitted. */
    readonly generation: number,
    /** Clock time (ms) the call started; NaN when durations are not needed. */
    readonly startedAt: number,
    /** Probe lease token, or undefined for an ordinary call. */
    readonly token: string | undefined,
    /** True when the circuit was disabled: nothing is counted. */
    readonly uncounted: boolean,
  ) {}

  get probe(): boolean {
    return this.token !== undefined
  }

  success(): void {
    this.settle('success', undefined)
  }

  failure(error?: unknown, details?: FailureDetails): void {
    this.settle('failure', error, details)
  }

  ignore(): void {
    this.settle('ignore', undefined)
  }

  /** True once settled (a late answer after a timeout must not settle again). */
  get done(): boolean {
    return this.settled
  }

  settle(outcome: Outcome, error?: unknown, details?: FailureDetails): void {
    if (this.settled) {
      throw new TripswitchError(ErrorCode.PermitSettled, 'This permit was already settled')
    }
    // Checked before the permit counts as settled, so a bad call can be made again correctly.
    const retryAfterMs = details === undefined ? 0 : retryAfterOf(details)
    this.settled = true
    this.owner.settle(this, outcome, error, retryAfterMs)
  }
}

function retryAfterOf(details: FailureDetails): number {
  const value: unknown = details.retryAfterMs
  if (value === undefined) return 0
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new InvalidOptionsError('retryAfterMs', 'a finite number >= 0', value)
  return Math.min(value, MAX_DURATION_MS)
}
