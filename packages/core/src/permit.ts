import { ErrorCode, TripswitchError } from './errors.ts'

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
  /** The call failed with `error` (omit it for a failed result). */
  failure(error?: unknown): void
  /** The call neither succeeded nor failed; a probe's slot is freed. */
  ignore(): void
  /** Settles with a classified `outcome` (adapters classify, then settle); `error` for a failure. */
  settle(outcome: Outcome, error?: unknown): void
}

/** What a permit reports to when settled. */
export interface PermitOwner {
  settle(permit: CallPermit, outcome: Outcome, error: unknown): void
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

  failure(error?: unknown): void {
    this.settle('failure', error)
  }

  ignore(): void {
    this.settle('ignore', undefined)
  }

  /** True once settled (a late answer after a timeout must not settle again). */
  get done(): boolean {
    return this.settled
  }

  settle(outcome: Outcome, error?: unknown): void {
    if (this.settled) {
      throw new TripswitchError(ErrorCode.PermitSettled, 'This permit was already settled')
    }
    this.settled = true
    this.owner.settle(this, outcome, error)
  }
}
