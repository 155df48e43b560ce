import type { ResolvedOptions } from './options.ts'
import type { OutcomeBatch, OutcomeFeed, RecordResult, WindowSpec } from './store.ts'
import { shouldTrip, type TripCounts } from './trip.ts'
import { TIME_BUCKETS } from './window.ts'

/** The window a store buckets a breaker's outcomes into: the breaker's own time window. */
export function windowSpecOf(options: ResolvedOptions): WindowSpec {
  const buckets = Math.min(TIME_BUCKETS, options.windowMs)
  return { bucketMs: Math.ceil(options.windowMs / buckets), buckets }
}

/**
 * A breaker's delta counter for a store that aggregates outcomes: plain integer fields bumped
 * per outcome (no allocation, no I/O), taken as one {@link OutcomeBatch} per flush.
 */
export class PendingOutcomes implements OutcomeFeed {
  readonly window: WindowSpec
  /** @inheritdoc */
  get callTimeout(): number | undefined {
    return this.options.timeout
  }
  private generation = 0
  private failures = 0
  private slowCalls = 0
  /** Shared totals of the last flush in this generation; the base of the projection. */
  private shared: TripCounts | null = null
  /** A flush was already asked for in this generation. */
  private urged = false
  private readonly projected = {
    calls: 0,
    failures: 0,
    slowCalls: 0,
    consecutiveFailures: 0,
    netFailures: 0,
  }

  constructor(
    private readonly options: ResolvedOptions,
    private readonly onResult: (result: RecordResult) => void,
    /** Failures since the last success, from the breaker's window (saves a write per success). */
    private readonly consecutiveFailures: () => number,
  ) {
    this.window = windowSpecOf(options)
  }

  /** Successes neither failed nor slow: the breaker bumps this field directly (hot path). */
  successes = 0

  /**
   * Counts a failed or slow outcome (plain successes go to {@link successes}). Returns true,
   * once per generation, when the last shared totals plus the outcomes not yet flushed would
   * trip the circuit: the caller then asks for a flush at once.
   */
  add(failed: boolean, slow: boolean): boolean {
    if (failed) this.failures++
    else this.successes++
    if (slow) this.slowCalls++
    if (this.urged) return false
    this.urged = shouldTrip(this.project(), this.options)
    return this.urged
  }

  /** Starts counting for `generation`, dropping what the previous generation left. */
  reset(generation: number): void {
    this.generation = generation
    this.clear()
    this.shared = null
    this.urged = false
  }

  take(): OutcomeBatch | null {
    if (this.successes === 0 && this.failures === 0) return null
    const batch: OutcomeBatch = {
      generation: this.generation,
      successes: this.successes,
      failures: this.failures,
      slowCalls: this.slowCalls,
      trailingFailures: this.trailingFailures(),
    }
    this.clear()
    this.urged = false
    return batch
  }

  accept(result: RecordResult): void {
    if (result.counted && result.state.generation === this.generation) this.shared = result.totals
    this.onResult(result)
  }

  private clear(): void {
    this.successes = 0
    this.failures = 0
    this.slowCalls = 0
  }

  /** Failures after the last success of the batch (all of them when it has none). */
  private trailingFailures(): number {
    return this.successes > 0 ? Math.min(this.failures, this.consecutiveFailures()) : this.failures
  }

  private project(): TripCounts {
    const p = this.projected
    const base = this.shared
    const calls = this.successes + this.failures
    p.calls = (base?.calls ?? 0) + calls
    p.failures = (base?.failures ?? 0) + this.failures
    p.slowCalls = (base?.slowCalls ?? 0) + this.slowCalls
    p.consecutiveFailures =
      this.successes > 0
        ? this.trailingFailures()
        : (base?.consecutiveFailures ?? 0) + this.failures
    p.netFailures = Math.max(0, (base?.netFailures ?? 0) + this.failures - this.successes)
    return p
  }
}
