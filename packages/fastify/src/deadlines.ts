import type { Clock } from '@tripswitch/core'

/** A request waiting for its deadline; linked into its circuit's {@link Deadlines}. */
export interface Waiting {
  /** Clock time (ms) at which the request times out. */
  readonly deadline: number
  /** Runs once when the deadline passes while the request is still waiting. */
  expire(): void
  prevDue: Waiting | null
  nextDue: Waiting | null
}

/**
 * The timeouts of one circuit's requests, on one timer. Every request of a circuit has the same
 * `timeout` and the clock only moves forward, so deadlines arrive in order: a linked list in
 * arrival order is already sorted, adding and removing are O(1), and one timer set for the
 * oldest deadline serves them all (a timer per request costs more than the rest of the guard).
 *
 * The timer is unref'd: it never keeps a process alive. When the last request settles it is
 * left to run out rather than cleared, so that requests one after another do not arm and clear
 * a timer each; when it fires with nothing due it stops, and arms again for the next request.
 */
export class Deadlines {
  private head: Waiting | null = null
  private tail: Waiting | null = null
  private armed = false
  /** The timer is running its callback: an entry added meanwhile is armed for by it. */
  private firing = false

  constructor(private readonly clock: Clock) {}

  /** Starts waiting for `entry.deadline`. */
  add(entry: Waiting): void {
    entry.prevDue = this.tail
    entry.nextDue = null
    if (this.tail === null) this.head = entry
    else this.tail.nextDue = entry
    this.tail = entry
    // A timer set for an earlier deadline re-arms itself for this one when it fires.
    if (!this.armed && !this.firing) this.arm(entry.deadline)
  }

  /** Stops waiting (the request settled). Harmless for an entry that expired or was removed. */
  remove(entry: Waiting): void {
    if (entry.prevDue === null && this.head !== entry) return
    if (entry.prevDue === null) this.head = entry.nextDue
    else entry.prevDue.nextDue = entry.nextDue
    if (entry.nextDue === null) this.tail = entry.prevDue
    else entry.nextDue.prevDue = entry.prevDue
    entry.prevDue = null
    entry.nextDue = null
  }

  private arm(deadline: number): void {
    const ms = Math.max(1, Math.ceil(deadline - this.clock.now()))
    const clock = this.clock
    const timer = clock.setTimeout ? clock.setTimeout(this.fire, ms) : setTimeout(this.fire, ms)
    ;(timer as { unref?: () => void }).unref?.()
    this.armed = true
  }

  private readonly fire = (): void => {
    this.armed = false
    this.firing = true
    try {
      const now = this.clock.now()
      for (let e = this.head; e !== null && e.deadline <= now; e = this.head) {
        this.remove(e)
        e.expire()
      }
    } finally {
      this.firing = false
      if (this.head !== null) this.arm(this.head.deadline)
    }
  }
}
