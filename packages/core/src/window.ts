import type { ResolvedOptions, Strategy } from './options.ts'

/**
 * What a window knows about the calls of the current closed period. JSON-safe, so a store can
 * aggregate and return the same shape.
 */
export interface WindowTotals {
  /** Calls in the window (successes + failures; ignored calls are not counted). */
  readonly calls: number
  /** Failed calls in the window. */
  readonly failures: number
  /** Successful calls in the window. */
  readonly successes: number
  /** Calls in the window slower than `slowCallMs`. */
  readonly slowCalls: number
  /** Failures since the last success (not bounded by the window). */
  readonly consecutiveFailures: number
  /** Failures minus successes, never below 0 (not bounded by the window). */
  readonly netFailures: number
}

/**
 * Windows are plain data, mutated in place by the functions below so that recording an outcome
 * allocates nothing on the hot path. Three shapes:
 *
 * - `total`: running counters for the whole closed period (strategies `consecutive` and `net`).
 * - `ring`: the last `size` outcomes in a circular byte array (bit 0 = failure, bit 1 = slow);
 *   recording subtracts the outcome it overwrites from the running sums, so totals are O(1).
 * - `time`: `windowMs` split into {@link TIME_BUCKETS} buckets of `bucketMs`. A bucket is
 *   stamped with its absolute index (`floor(now / bucketMs)`); moving forward clears the
 *   buckets that fell out of the window and subtracts them from the running sums (at most
 *   `TIME_BUCKETS` per move, however long the gap). The window therefore covers between
 *   `windowMs - bucketMs` and `windowMs` of history.
 */
export type WindowData = TotalWindow | RingWindow | TimeWindow

interface Counters {
  calls: number
  failures: number
  slowCalls: number
  consecutiveFailures: number
  netFailures: number
}

interface TotalWindow extends Counters {
  readonly kind: 'total'
}

interface RingWindow extends Counters {
  readonly kind: 'ring'
  readonly slots: Uint8Array
  /** Next slot to write. */
  next: number
}

interface TimeWindow extends Counters {
  readonly kind: 'time'
  readonly bucketMs: number
  /** Absolute bucket index held by each slot; NaN = empty (indexes may be negative). */
  readonly stamps: Float64Array
  readonly bucketCalls: Uint32Array
  readonly bucketFailures: Uint32Array
  readonly bucketSlow: Uint32Array
}

/** Number of buckets a time window is split into. */
export const TIME_BUCKETS = 10

const FAILED = 1
const SLOW = 2
const EMPTY = 0xff

function counters(): Counters {
  return { calls: 0, failures: 0, slowCalls: 0, consecutiveFailures: 0, netFailures: 0 }
}

/** The window the strategy of `options` decides over. */
export function createWindow(options: ResolvedOptions): WindowData {
  if (options.strategy === 'rate' && options.windowSize !== undefined) {
    return {
      kind: 'ring',
      slots: new Uint8Array(options.windowSize).fill(EMPTY),
      next: 0,
      ...counters(),
    }
  }
  if (options.strategy === 'rate' || options.strategy === 'window') {
    const buckets = Math.min(TIME_BUCKETS, options.windowMs)
    const bucketMs = Math.ceil(options.windowMs / buckets)
    return {
      kind: 'time',
      bucketMs,
      stamps: new Float64Array(buckets).fill(Number.NaN),
      bucketCalls: new Uint32Array(buckets),
      bucketFailures: new Uint32Array(buckets),
      bucketSlow: new Uint32Array(buckets),
      ...counters(),
    }
  }
  // A literal, not a spread: its counters stay in-object (a spread spills them, ~100 B more).
  return {
    kind: 'total',
    calls: 0,
    failures: 0,
    slowCalls: 0,
    consecutiveFailures: 0,
    netFailures: 0,
  }
}

/** Adds one outcome at time `now` (ms). */
export function recordOutcome(
  window: WindowData,
  failed: boolean,
  slow: boolean,
  now: number,
): void {
  if (failed) {
    window.consecutiveFailures++
    window.netFailures++
  } else {
    window.consecutiveFailures = 0
    if (window.netFailures > 0) window.netFailures--
  }
  if (window.kind === 'ring') recordInRing(window, failed, slow)
  else if (window.kind === 'time') recordInTime(window, failed, slow, now)
  window.calls++
  if (failed) window.failures++
  if (slow) window.slowCalls++
}

function recordInRing(window: RingWindow, failed: boolean, slow: boolean): void {
  const old = window.slots[window.next]!
  if (old !== EMPTY) {
    window.calls--
    if (old & FAILED) window.failures--
    if (old & SLOW) window.slowCalls--
  }
  window.slots[window.next] = (failed ? FAILED : 0) | (slow ? SLOW : 0)
  window.next = (window.next + 1) % window.slots.length
}

function recordInTime(window: TimeWindow, failed: boolean, slow: boolean, now: number): void {
  const slot = advance(window, now)
  window.bucketCalls[slot]!++
  if (failed) window.bucketFailures[slot]!++
  if (slow) window.bucketSlow[slot]!++
}

/** Clears buckets older than the window at `now`; returns the slot of the current bucket. */
function advance(window: TimeWindow, now: number): number {
  const size = window.stamps.length
  const index = Math.floor(now / window.bucketMs)
  // Clocks may read negative (only differences matter): keep the slot in range.
  const slot = ((index % size) + size) % size
  if (window.stamps[slot] === index) return slot
  for (let i = 0; i < size; i++) {
    const stamp = window.stamps[i]!
    if (stamp <= index - size) clearBucket(window, i)
  }
  if (!Number.isNaN(window.stamps[slot]!)) clearBucket(window, slot)
  window.stamps[slot] = index
  return slot
}

function clearBucket(window: TimeWindow, i: number): void {
  window.calls -= window.bucketCalls[i]!
  window.failures -= window.bucketFailures[i]!
  window.slowCalls -= window.bucketSlow[i]!
  window.bucketCalls[i] = 0
  window.bucketFailures[i] = 0
  window.bucketSlow[i] = 0
  window.stamps[i] = Number.NaN
}

/** The totals of `window` as seen at time `now` (ms). */
export function readTotals(window: WindowData, now: number): WindowTotals {
  if (window.kind === 'time') advance(window, now)
  return {
    calls: window.calls,
    failures: window.failures,
    successes: window.calls - window.failures,
    slowCalls: window.slowCalls,
    consecutiveFailures: window.consecutiveFailures,
    netFailures: window.netFailures,
  }
}

/** True when the window holds a failure: its breaker has state worth keeping. */
/**
 * True when the window holds failures that can still trip the circuit under `strategy`: its
 * breaker has live state worth keeping. Reads a time window at `now`, so expired failures
 * do not count.
 */
export function hasLiveFailures(window: WindowData, strategy: Strategy, now: number): boolean {
  if (strategy === 'consecutive') return window.consecutiveFailures > 0
  if (strategy === 'net') return window.netFailures > 0
  if (window.kind === 'time') advance(window, now)
  return window.failures > 0
}
