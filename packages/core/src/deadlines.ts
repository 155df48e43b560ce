import type { Clock } from './clock.ts'
import { memberOf } from './validate.ts'

/** A call waiting for its deadline; linked into its breaker's {@link Deadlines}. */
export interface Waiting {
  /** Clock time (ms) at which the call times out. */
  readonly deadline: number
  /** Runs once when the deadline passes while the call is still waiting. */
  expire(): void
  /** Links of the list; a waiting call's own business is kept out of these names. */
  prevDue: Waiting | null
  nextDue: Waiting | null
}

type TimerHandle = { ref?: () => unknown; unref?: () => unknown } | number | undefined

/**
 * The timeouts of one breaker's calls, on one timer. Every call of a breaker has the same
 * `timeout`, so deadlines arrive in order: a linked list in arrival order is already sorted,
 * adding and removing are O(1), and a single timer set for the oldest deadline serves them
 * all (a timer per call costs more than the rest of the call). The timer keeps the process
 * alive only while some call is waiting.
 */
export class Deadlines {
  private head: Waiting | null = null
  private tail: Waiting | null = null
  private timer: TimerHandle = undefined
  /** The timer is running its callback: an entry added meanwhile is armed for by it. */
  private firing = false

  /**
   * @param holdsProcess true (the default): the timer keeps the process alive while a call waits
   *   (a script awaiting a timed call gets its answer); false: never (a server holds the process
   *   anyway, and an HTTP request's timeout must not).
   */
  constructor(
    private readonly clock: Clock,
    private readonly holdsProcess = true,
  ) {}

  /** Starts waiting for `entry.deadline`. */
  add(entry: Waiting): void {
    entry.prevDue = this.tail
    entry.nextDue = null
    if (this.tail === null) this.head = entry
    else this.tail.nextDue = entry
    this.tail = entry
    // A timer set for an earlier deadline re-arms itself for this one when it fires.
    if (this.timer === undefined) {
      if (!this.firing) this.arm(entry.deadline)
    } else if (entry.prevDue === null) refTimer(this.timer, this.holdsProcess)
  }

  /** Stops waiting (the call settled). Harmless for an entry that already expired. */
  remove(entry: Waiting): void {
    if (entry.prevDue === null && this.head !== entry) return
    if (entry.prevDue === null) this.head = entry.nextDue
    else entry.prevDue.nextDue = entry.nextDue
    if (entry.nextDue === null) this.tail = entry.prevDue
    else entry.nextDue.prevDue = entry.prevDue
    entry.prevDue = null
    entry.nextDue = null
    if (this.head === null && this.timer !== undefined) refTimer(this.timer, false)
  }

  private arm(deadline: number): void {
    const ms = Math.max(1, Math.ceil(deadline - this.clock.now()))
    const set = memberOf(this.clock, 'setTimeout') as Clock['setTimeout']
    this.timer = (
      set === undefined ? setTimeout(this.fire, ms) : set.call(this.clock, this.fire, ms)
    ) as TimerHandle
    if (!this.holdsProcess) refTimer(this.timer, false)
  }

  private readonly fire = (): void => {
    this.timer = undefined
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

/** `ref()` or `unref()` a Node timer; other clocks' handles have neither, and need neither. */
function refTimer(timer: TimerHandle, ref: boolean): void {
  if (typeof timer !== 'object') return
  if (ref) timer.ref?.()
  else timer.unref?.()
}
