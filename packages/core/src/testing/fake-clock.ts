import type { Clock } from '../clock.ts'

interface Timer {
  readonly id: number
  readonly at: number
  readonly callback: () => void
}

/**
 * A clock for tests: time moves only when told. Timers scheduled through it (per-call timeouts)
 * fire, in order, during {@link FakeClock.advance}.
 */
export class FakeClock implements Clock {
  private time: number
  private timers: Timer[] = []
  private nextId = 1

  /** @param start initial time in ms. @default 0 */
  constructor(start = 0) {
    this.time = start
  }

  /** Current fake time in ms. */
  now(): number {
    return this.time
  }

  /** Schedules `callback` at now + `ms`. */
  setTimeout(callback: () => void, ms: number): unknown {
    const timer = { id: this.nextId++, at: this.time + ms, callback }
    this.timers.push(timer)
    return timer.id
  }

  /** Cancels a timer. */
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle)
  }

  /** Timers scheduled and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.timers.length
  }

  /** Moves time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    const target = this.time + ms
    for (;;) {
      const due = this.timers
        .filter((t) => t.at <= target)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0]
      if (due === undefined) break
      this.timers = this.timers.filter((t) => t !== due)
      this.time = due.at
      due.callback()
    }
    this.time = target
  }
}
