import {
  MemoryStore,
  type OutcomeBatch,
  type ProbeGrant,
  type ProbeRelease,
  type ProbeReleaseResult,
  type ProbeRequest,
  type RecordResult,
  type SharedState,
  type TransitionRequest,
  type WindowSpec,
} from '@tripswitch/core'
import type { StoreUnavailablePolicy } from './options.ts'
import { NO_TOTALS } from './replies.ts'

/**
 * What the store answers while Redis is away, by `onStoreUnavailable`. `local` answers from an
 * in-process {@link MemoryStore} kept in step with every state heard from Redis, so a breaker
 * goes on alone from where the fleet was; `open` and `closed` answer a fixed state marked
 * `resync`, which every breaker takes whatever its generation.
 */
export class Fallback {
  private readonly local = new MemoryStore()

  constructor(
    private readonly policy: StoreUnavailablePolicy,
    /** How long an `open` answer holds before the breaker asks again, in ms. */
    private readonly retryAfterMs: number,
  ) {}

  /** Follows a state heard from Redis. */
  seed(name: string, state: SharedState): void {
    this.local.seed(name, state)
  }

  /** What this instance knows of `name` (what it heard, or reached alone), whatever the policy. */
  known(name: string): SharedState {
    return this.local.read(name)
  }

  read(name: string): SharedState {
    return this.policy === 'local' ? this.local.read(name) : this.fixed()
  }

  /**
   * Follows a breaker moving from a generation ahead of what this instance knows (it took a
   * fixed answer and moved on, or its keys were deleted under it): what is known never lags the
   * generation a breaker moves from.
   */
  follow(name: string, generation: number): void {
    const known = this.local.read(name)
    if (generation > known.generation) this.local.seed(name, { ...known, generation })
  }

  /** Applied at once (as the breaker applied it), so a local open time counts from the trip. */
  transition(name: string, request: TransitionRequest): SharedState {
    const local = this.local.transition(name, request)
    return this.policy === 'local' ? local : this.fixed()
  }

  acquireProbe(name: string, request: ProbeRequest): ProbeGrant {
    if (this.policy === 'local') return this.local.acquireProbe(name, request)
    return { granted: false, state: this.fixed() }
  }

  releaseProbe(name: string, release: ProbeRelease): ProbeReleaseResult {
    if (this.policy === 'local') return this.local.releaseProbe(name, release)
    return { held: false, successes: 0, state: this.fixed() }
  }

  record(name: string, batch: OutcomeBatch, window: WindowSpec): RecordResult {
    if (this.policy === 'local') return this.local.record(name, batch, window)
    return { counted: false, totals: NO_TOTALS, state: this.fixed() }
  }

  /** True when the fallback answers states of its own while Redis is away (not `local`). */
  get pushes(): boolean {
    return this.policy !== 'local'
  }

  delete(name: string): void {
    this.local.delete(name)
  }

  close(): void {
    this.local.close()
  }

  private fixed(): SharedState {
    const open = this.policy === 'open'
    return {
      state: open ? 'open' : 'closed',
      generation: 0,
      retryAfterMs: open ? this.retryAfterMs : 0,
      openings: 0,
      resync: true,
    }
  }
}
