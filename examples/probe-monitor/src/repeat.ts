import type { Clock } from '@tripswitch/core'

/** The timer functions {@link repeat} schedules with; a FakeClock has both. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** The process's own timers. Not unref'd: the loop is what keeps the monitor running. */
export const globalTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

/** Stops a {@link repeat} loop. */
export interface Repeater {
  /** No further run starts; resolves when the run in progress, if any, has ended. */
  stop(): Promise<void>
}

/**
 * Runs `task` at once, then again `intervalMs` after each run ends, until stopped; runs never
 * overlap. The wait is measured on `clock`, the breaker's clock, and a timer that fires early
 * is re-armed for the rest: Node's timers and `Date.now()` round differently, and a probe sent
 * a millisecond before the circuit's deadline would be refused instead of being the trial.
 * `task` must handle its own errors.
 */
export function repeat(
  task: () => Promise<void>,
  intervalMs: number,
  { clock, timers }: { clock: Clock; timers: Timers },
): Repeater {
  let stopped = false
  let timer: unknown
  let running: Promise<void> = Promise.resolve()

  const run = () => {
    if (stopped) return
    running = task().then(() => waitUntil(clock.now() + intervalMs))
  }
  const waitUntil = (due: number) => {
    if (stopped) return
    const left = due - clock.now()
    if (left > 0) timer = timers.setTimeout(() => waitUntil(due), left)
    else run()
  }

  run()
  return {
    stop() {
      stopped = true
      timers.clearTimeout(timer)
      return running
    },
  }
}
