import type { Unsubscribe } from './events.ts'
import type { CircuitState } from './state.ts'
import type { WindowTotals } from './window.ts'

/** True for a pending answer; in-process stores answer synchronously. */
export const isPromise = <T>(value: T | Promise<T>): value is Promise<T> => value instanceof Promise

/** A value or a promise of it: in-process stores answer synchronously, remote ones later. */
export type Awaitable<T> = T | Promise<T>

/** The shared view of one circuit, as a store holds it. */
export interface SharedState {
  /** Current state. A name the store has never seen is `closed`, generation 0. */
  readonly state: CircuitState
  /** Grows by one on every transition; fences stale outcomes and lost races. */
  readonly generation: number
  /** Milliseconds until a probe is allowed, by the store's clock at the time of the answer; 0 unless open. */
  readonly retryAfterMs: number
  /** Openings since the circuit last closed (drives backoff). */
  readonly openings: number
  /**
   * True when a breaker must take this state whatever its own generation: a remote store
   * answered from a fallback, or resynchronised after an outage. @default false
   */
  readonly resync?: boolean
}

/** A proposed transition, applied only if the store is still at `fromGeneration`. */
export interface TransitionRequest {
  /** Generation the proposer saw; `null` forces the change whatever the current generation. */
  readonly fromGeneration: number | null
  /** The state to move to. */
  readonly to: CircuitState
  /** For `open`: how long to stay open, in ms (the store adds its own now). Otherwise 0. */
  readonly openForMs: number
  /** Openings to record with the new state. */
  readonly openings: number
}

/** A request for a half-open probe lease. */
export interface ProbeRequest {
  /** Generation the requester saw. */
  readonly generation: number
  /** Unique id of the lease, used to release it. */
  readonly token: string
  /** Leases allowed at once (`halfOpenMaxCalls`). */
  readonly maxProbes: number
  /** Lease lifetime in ms: a lease never released (crashed prober) frees its slot after this. */
  readonly leaseMs: number
}

/** The answer to a {@link ProbeRequest}. */
export interface ProbeGrant {
  /** True when a lease was granted. */
  readonly granted: boolean
  /** The state after the request (it may have moved open -> half_open). */
  readonly state: SharedState
}

/** The end of a probe. */
export interface ProbeRelease {
  /** Generation the lease was granted in. */
  readonly generation: number
  /** The lease's token. */
  readonly token: string
  /** `success` counts towards closing; `failure` and `ignore` only free the slot. */
  readonly outcome: 'success' | 'failure' | 'ignore'
  /** The probe was slower than `slowCallMs` (counted for half-open sampling). @default false */
  readonly slow?: boolean
}

/** The answer to a {@link ProbeRelease}. */
export interface ProbeReleaseResult {
  /** False when the lease had expired or its generation had passed: the outcome must not count. */
  readonly held: boolean
  /** Probe successes counted in the current half-open generation. */
  readonly successes: number
  /** Probe failures counted in the current half-open generation. @default 0 */
  readonly failures?: number
  /** Slow probes counted in the current half-open generation. @default 0 */
  readonly slowCalls?: number
  /** The state after the release. */
  readonly state: SharedState
}

/** Outcomes counted locally since the last flush, for one circuit. */
export interface OutcomeBatch {
  /** Generation the outcomes were counted in; a store drops batches of an older generation. */
  readonly generation: number
  readonly successes: number
  readonly failures: number
  readonly slowCalls: number
  /** Failures after the batch's last success (all failures when it had no success). */
  readonly trailingFailures: number
}

/** How a store buckets flushed outcomes: `buckets` buckets of `bucketMs` each. */
export interface WindowSpec {
  readonly bucketMs: number
  readonly buckets: number
}

/** The answer to a flushed {@link OutcomeBatch}. */
export interface RecordResult {
  /** False when the batch was of an older generation and was dropped. */
  readonly counted: boolean
  /** Totals of the shared window after the batch; the breaker's trip rule decides over them. */
  readonly totals: WindowTotals
  /** The current shared state. */
  readonly state: SharedState
  /**
   * False when the store wants failures from more instances (its quorum) before these totals
   * may trip the circuit. @default true
   */
  readonly quorum?: boolean
}

/**
 * A breaker's side of outcome sharing ({@link StateStore.track}): outcomes counted locally since
 * the last flush, taken by the store on its own schedule.
 */
export interface OutcomeFeed {
  /** How the store buckets this breaker's outcomes. */
  readonly window: WindowSpec
  /** The breaker's call timeout in ms (undefined: none); a probe lease must outlive it. */
  readonly callTimeout: number | undefined
  /** Takes the outcomes counted since the last take; null when there are none. */
  take(): OutcomeBatch | null
  /** Receives the store's answer to a flushed batch: the breaker decides over its totals. */
  accept(result: RecordResult): void
}

/** What {@link StateStore.track} returns to a breaker. */
export interface OutcomeTracking {
  /** Asks for a flush as soon as possible (local counts crossed the trip threshold). */
  flush(): void
  /** Stops taking outcomes from the feed. */
  stop(): void
}

/**
 * Where circuits of the same name share their state: in one process ({@link MemoryStore}) or
 * across processes (a Redis store). The store holds data and makes each change atomic; every
 * decision (when to trip, when to close, how long to stay open) stays in the breaker, so the
 * policy is written once. Methods may answer synchronously or with a promise.
 *
 * How each method maps onto the Redis design (docs/architecture.md has the whole of it): keys
 * `P{B}:s` (state hash), `P{B}:w` (window buckets), `P{B}:l` (lease zset), all with TTLs; every
 * script reads `TIME`, so shared deadlines use Redis's clock.
 */
export interface StateStore {
  /**
   * The shared state of `name`. Redis: the READ script (`TIME`, then
   * `HMGET P{B}:s state gen until trips`; an absent key is closed, generation 0).
   */
  read(name: string): Awaitable<SharedState>
  /**
   * Pushes every change of `name` made through this store or by other instances. Redis: one
   * `SUBSCRIBE` per store to the channel the transition scripts `PUBLISH` to, plus a slow poll
   * of `read` for lost messages; listeners are kept per name in process. `onError` hears of
   * store failures that concern `name` (the breaker emits them as `storeError`).
   */
  subscribe(
    name: string,
    listener: (state: SharedState) => void,
    onError?: (error: unknown) => void,
  ): Unsubscribe
  /**
   * Compare-and-set on the generation: applies `request` iff the generation is still
   * `request.fromGeneration` (or it is `null`), then notifies subscribers. Returns the state
   * after, which is someone else's if the race was lost: exactly one transition per edge.
   * A move to `half_open` applies only from `open` once the store's own deadline has passed
   * (shared deadlines use the store's clock); otherwise the current state is returned.
   * Redis: the TRANSITION script (`HSET` state, `gen+1`, `until = TIME + openForMs`, `PEXPIRE`,
   * clear `P{B}:w`/`P{B}:l` on close, `PUBLISH`).
   */
  transition(name: string, request: TransitionRequest): Awaitable<SharedState>
  /**
   * Grants a half-open probe lease. Moves `open` to `half_open` first when the open deadline
   * (store clock) has passed; frees expired leases; grants iff fewer than `maxProbes` are held.
   * Redis: the ACQUIRE script (`ZREMRANGEBYSCORE P{B}:l -inf now`, `ZCARD`, `ZADD now+leaseMs`).
   */
  acquireProbe(name: string, request: ProbeRequest): Awaitable<ProbeGrant>
  /**
   * Releases a probe lease and, when it was held, counts its outcome (successes, failures, and
   * slow probes) for the current half-open generation. Redis: the RELEASE script (`ZREM` the
   * lease; `HINCRBY` the state hash's `hs`, `hf`, `hl` counters when held).
   */
  releaseProbe(name: string, release: ProbeRelease): Awaitable<ProbeReleaseResult>
  /**
   * Adds a batch of closed-state outcomes to the shared window and returns its totals; a batch of
   * an older generation is not counted. Redis: the RECORD script (`HINCRBY` the current bucket of
   * `P{B}:w`, `HDEL` buckets outside the window, sum, `PEXPIRE`), one call per flush interval.
   */
  record(name: string, batch: OutcomeBatch, window: WindowSpec): Awaitable<RecordResult>
  /**
   * Optional: a store that aggregates closed-state outcomes across instances takes them from
   * `feed` (every sync interval, or at once on {@link OutcomeTracking.flush}), passes them to
   * {@link record} and hands the answer back. Breakers call it once when attached; without it
   * (in-process stores) outcomes stay in each breaker's own window. Never called per outcome.
   */
  track?(name: string, feed: OutcomeFeed): OutcomeTracking
  /** Forgets `name` entirely. Redis: `DEL P{B}:s P{B}:w P{B}:l`. */
  delete(name: string): Awaitable<void>
  /** Releases connections and timers. Optional. */
  close?(): Awaitable<void>
}

/** The members a value must have to be accepted as a {@link StateStore}. */
export const STORE_METHODS: readonly string[] = [
  'read',
  'subscribe',
  'transition',
  'acquireProbe',
  'releaseProbe',
  'record',
  'delete',
]
