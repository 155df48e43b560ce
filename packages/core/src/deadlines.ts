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
 * all (a timer per call costs more than the rest of the call).
 *
 * The timer is unref'd. What keeps the process alive while a call waits is the process's
 * `beforeExit`: when nothing else holds the event loop, the timers of lists with calls waiting
 * are ref'd then, and the loop goes on until they fire. A call that starts and ends while
 * something else holds the loop (a server, a socket, the next call) toggles no ref count, which
 * costs two native calls per call when this timer is the only one ref'd.
 */
export class Deadlines {
  private head: Waiting | null = null
  private tail: Waiting | null = null
  private timer: TimerHandle = undefined
  /** The timer is running its callback: an entry added meanwhile is armed for by it. */
  private firing = false
  /** The timer was ref'd at `beforeExit`; unref'd again when no call waits. */
  private held = false
  /** Links of the module's list of lists with calls waiting (only when holding the process). */
  prevWaiting: Deadlines | null = null
  nextWaiting: Deadlines | null = null

  /**
   * @param holdsProcess true (the default): the process stays alive while a call waits (a
   *   script awaiting a timed call gets its answer); false: never (a server holds the process
   *   anyway, and an HTTP request's timeout must not).
   */
  constructor(
    private readonly clock: Clock,
    private readonly holdsProcess = true,
  ) {}

  /** Starts waiting for `entry.deadline`. */
  add(entry: Waiting): void {
    const tail = this.tail
    entry.prevDue = tail
    entry.nextDue = null
    if (tail === null) {
      this.head = entry
      if (this.holdsProcess) enlist(this)
    } else tail.nextDue = entry
    this.tail = entry
    // A timer set for an earlier deadline re-arms itself for this one when it fires.
    if (this.timer === undefined && !this.firing) this.arm(entry.deadline)
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
    if (this.head === null && this.holdsProcess) this.idle()
  }

  /** Nothing else holds the process: this list's timer does while a call waits. */
  hold(): void {
    if (this.held || this.timer === undefined || this.head === null) return
    this.held = true
    refTimer(this.timer, true)
  }

  /** No call waits any more: the timer (if it runs on) holds nothing. */
  private idle(): void {
    delist(this)
    if (this.held) {
      this.held = false
      refTimer(this.timer, false)
    }
  }

  private arm(deadline: number): void {
    const ms = Math.max(1, Math.ceil(deadline - this.clock.now()))
    const set = memberOf(this.clock, 'setTimeout') as Clock['setTimeout']
    this.timer = (
      set === undefined ? setTimeout(this.fire, ms) : set.call(this.clock, this.fire, ms)
    ) as TimerHandle
    refTimer(this.timer, false)
  }

  private readonly fire = (): void => {
    this.timer = undefined
    this.held = false
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

/** The lists with calls waiting that hold the process; linked through their own fields. */
let waiting: Deadlines | null = null
let listening = false

/** Links `list` (it had no call waiting) into {@link waiting}. */
function enlist(list: Deadlines): void {
  list.prevWaiting = null
  list.nextWaiting = waiting
  if (waiting !== null) waiting.prevWaiting = list
  waiting = list
  if (!listening) listenBeforeExit()
}

/** Unlinks `list` (no call waits any more) from {@link waiting}. */
function delist(list: Deadlines): void {
  const prev = list.prevWaiting
  const next = list.nextWaiting
  if (prev === null) {
    if (waiting !== list) return
    waiting = next
  } else prev.nextWaiting = next
  if (next !== null) next.prevWaiting = prev
  list.prevWaiting = null
  list.nextWaiting = null
}

/** Once per process: `beforeExit` refs the timers of the lists with calls waiting. */
function listenBeforeExit(): void {
  listening = true
  // Browsers have no process to hold, and their timers hold nothing.
  const proc = (globalThis as { process?: { on?: unknown } }).process
  if (typeof proc?.on !== 'function') return
  proc.on.call(proc, 'beforeExit', () => {
    for (let list = waiting; list !== null; list = list.nextWaiting) list.hold()
  })
}

/** `ref()` or `unref()` a Node timer; other clocks' handles have neither, and need neither. */
function refTimer(timer: TimerHandle, ref: boolean): void {
  if (typeof timer !== 'object') return
  if (ref) timer.ref?.()
  else timer.unref?.()
}
