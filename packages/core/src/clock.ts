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
 * none) and returns the function that cancels it.
 */
export function schedule(clock: Clock, callback: () => void, ms: number): () => void {
  if (clock.setTimeout === undefined) {
    const handle = unref(setTimeout(callback, ms))
    return () => clearTimeout(handle)
  }
  const handle = clock.setTimeout(callback, ms)
  return () =>
    clock.clearTimeout
      ? clock.clearTimeout(handle)
      : clearTimeout(handle as ReturnType<typeof setTimeout>)
}

/**
 * A guard timer must never be what keeps a process alive: the guarded work holds the process
 * if it needs to. `unref` exists on Node and Deno timers; browsers return a number.
 */
function unref<T>(handle: T): T {
  ;(handle as { unref?: () => void }).unref?.()
  return handle
}

/**
 * The wall clock. Each member is a closure over the global rather than a reference to it, so
 * that test fakes installed after this module loaded are still seen.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => unref(setTimeout(callback, ms)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}
