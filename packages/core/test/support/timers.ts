import type { Clock } from '@tripswitch/core'

/** Counts timers that were scheduled and have neither fired nor been cleared. */
export interface TimerCount {
  /** Timers still pending, ref'd or not. */
  readonly pending: number
  /** Timers scheduled so far. */
  readonly scheduled: number
  /** Pending timers that keep the process alive (not `unref()`ed). */
  readonly held: number
}

function countHeld(handles: Iterable<unknown>): number {
  let n = 0
  for (const h of handles) if ((h as { hasRef?: () => boolean }).hasRef?.() === true) n++
  return n
}

/**
 * A real-time {@link Clock} that counts the timers the breakers schedule through it. Unlike
 * `process.getActiveResourcesInfo()`, this also sees a timer that was `unref()`ed.
 */
export function trackingClock(): Clock & TimerCount {
  const live = new Set<ReturnType<typeof setTimeout>>()
  let scheduled = 0
  return {
    now: () => performance.now(),
    setTimeout(callback: () => void, ms: number): unknown {
      scheduled++
      const handle = setTimeout(() => {
        live.delete(handle)
        callback()
      }, ms)
      live.add(handle)
      return handle
    },
    clearTimeout(handle: unknown): void {
      const timer = handle as ReturnType<typeof setTimeout>
      live.delete(timer)
      clearTimeout(timer)
    },
    get pending() {
      return live.size
    },
    get scheduled() {
      return scheduled
    },
    get held() {
      return countHeld(live)
    },
  }
}

/**
 * Wraps the global timer functions to count what is scheduled through them until `restore()`.
 * For a child process only: in a test runner, the runner's own timers would be counted too.
 */
export function trackGlobalTimers(): TimerCount & { restore(): void } {
  const original = {
    setTimeout: globalThis.setTimeout,
    clearTimeout: globalThis.clearTimeout,
    setInterval: globalThis.setInterval,
    clearInterval: globalThis.clearInterval,
  }
  const live = new Set<unknown>()
  let scheduled = 0
  const wrapTimeout = ((
    callback: (...args: unknown[]) => void,
    ms?: number,
    ...args: unknown[]
  ) => {
    scheduled++
    const handle = original.setTimeout(
      (...a: unknown[]) => {
        live.delete(handle)
        callback(...a)
      },
      ms,
      ...args,
    )
    live.add(handle)
    return handle
  }) as typeof setTimeout
  const wrapInterval = ((
    callback: (...args: unknown[]) => void,
    ms?: number,
    ...args: unknown[]
  ) => {
    scheduled++
    const handle = original.setInterval(callback, ms, ...args)
    live.add(handle)
    return handle
  }) as typeof setInterval
  const clear = (handle: Parameters<typeof clearTimeout>[0]) => {
    live.delete(handle)
    original.clearTimeout(handle)
  }
  globalThis.setTimeout = wrapTimeout
  globalThis.setInterval = wrapInterval
  globalThis.clearTimeout = clear
  globalThis.clearInterval = clear
  return {
    get pending() {
      return live.size
    },
    get scheduled() {
      return scheduled
    },
    get held() {
      return countHeld(live)
    },
    restore() {
      Object.assign(globalThis, original)
    },
  }
}
