import { memberOf } from './validate.ts'

/**
 * The only source of time in Tripswitch. Inject one to move time in tests instead of sleeping.
 * `now()` returns milliseconds; only differences between readings matter.
 */
export interface Clock {
  /** Current time in milliseconds. */
  now(): number
  /**
   * Schedules `callback` after `ms` milliseconds; used only for per-call timeouts.
   * Defaults to the global `setTimeout` when absent.
   */
  setTimeout?(callback: () => void, ms: number): unknown
  /** Cancels a handle returned by {@link Clock.setTimeout}. Defaults to the global `clearTimeout`. */
  clearTimeout?(handle: unknown): void
}

/**
 * Runs `callback` after `ms` milliseconds on `clock`'s timers (the global ones when it has
 * none) and returns the function that cancels it. The timer is not unref'd: a call waiting for
 * its timeout keeps the process alive until it gets its answer (a `CircuitTimeoutError`).
 */
export function schedule(clock: Clock, callback: () => void, ms: number): () => void {
  const set = memberOf(clock, 'setTimeout') as Clock['setTimeout']
  if (set === undefined) {
    const handle = setTimeout(callback, ms)
    return () => clearTimeout(handle)
  }
  const handle = set.call(clock, callback, ms)
  const clear = memberOf(clock, 'clearTimeout') as Clock['clearTimeout']
  return () =>
    clear ? clear.call(clock, handle) : clearTimeout(handle as ReturnType<typeof setTimeout>)
}

// `performance.timeOrigin` is a getter that checks its receiver on every read (a third of a
// reading's cost) and never changes for one performance object: it is read again only when the
// global `performance` is another object (a test's fake, installed after this module loaded).
const origin = { of: performance, ms: performance.timeOrigin }

function originOf(perf: typeof performance): number {
  origin.of = perf
  origin.ms = perf.timeOrigin
  return origin.ms
}

/**
 * The default clock: monotonic whole milliseconds (`performance.timeOrigin + performance.now()`), so
 * a wall-clock step (NTP, a VM resumed, an operator's `date -s`) neither stretches nor cuts an
 * open circuit's time. Readings are comparable with `Date.now()` at start-up but do not follow
 * later wall-clock changes. Each member is a closure over the global rather than a reference
 * to it, so that test fakes installed after this module loaded are still seen.
 */
export const systemClock: Clock = {
  // Whole milliseconds, as Date.now() gives: durations and retryAfterMs read as integers.
  now: () => {
    const perf = performance
    return Math.floor((perf === origin.of ? origin.ms : originOf(perf)) + perf.now())
  },
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}
