import type {
  OutcomeBatch,
  OutcomeFeed,
  OutcomeTracking,
  RecordResult,
  WindowSpec,
} from '@tripswitch/core'
import type { ResolvedStoreOptions } from './options.ts'

interface Tracked {
  readonly name: string
  readonly feed: OutcomeFeed
  urgent: boolean
}

/** What the syncer drives on the store. */
export interface SyncTarget {
  flush(name: string, batch: OutcomeBatch, window: WindowSpec): Promise<RecordResult>
  poll(): Promise<void>
}

/**
 * The store's two timers, both unref'd so they never keep a process alive: the flush of every
 * tracked breaker's outcomes each `syncInterval` (one script call per breaker with outcomes),
 * and the jittered poll each `pollInterval`.
 */
export class Syncer {
  private readonly tracked = new Set<Tracked>()
  private flushTimer: ReturnType<typeof setInterval> | null = null
  private pollTimer: ReturnType<typeof setTimeout> | null = null
  private polling = false
  private stopped = false

  constructor(
    private readonly options: ResolvedStoreOptions,
    private readonly target: SyncTarget,
  ) {}

  /** Starts the poll (idempotent). */
  start(): void {
    if (this.pollTimer === null && !this.stopped) this.schedulePoll(this.jittered())
  }

  /** Polls on the next turn (after a failure, or a pub/sub reconnect). */
  pollSoon(): void {
    if (this.stopped) return
    if (this.pollTimer !== null) clearTimeout(this.pollTimer)
    this.schedulePoll(Math.min(this.options.pollInterval, 50))
  }

  track(name: string, feed: OutcomeFeed): OutcomeTracking {
    const entry: Tracked = { name, feed, urgent: false }
    this.tracked.add(entry)
    this.start()
    if (this.flushTimer === null && !this.stopped) {
      this.flushTimer = setInterval(() => this.flushAll(), this.options.syncInterval)
      this.flushTimer.unref?.()
    }
    return {
      flush: () => {
        if (entry.urgent || this.stopped) return
        entry.urgent = true
        setImmediate(() => {
          entry.urgent = false
          this.flushOne(entry)
        })
      },
      stop: () => {
        this.tracked.delete(entry)
        if (this.tracked.size === 0 && this.flushTimer !== null) {
          clearInterval(this.flushTimer)
          this.flushTimer = null
        }
      },
    }
  }

  stop(): void {
    this.stopped = true
    if (this.flushTimer !== null) clearInterval(this.flushTimer)
    if (this.pollTimer !== null) clearTimeout(this.pollTimer)
    this.flushTimer = null
    this.pollTimer = null
    this.tracked.clear()
  }

  private flushAll(): void {
    for (const entry of this.tracked) this.flushOne(entry)
  }

  private flushOne(entry: Tracked): void {
    const batch = entry.feed.take()
    if (batch === null) return
    void this.target
      .flush(entry.name, batch, entry.feed.window)
      .then((result) => entry.feed.accept(result))
  }

  private jittered(): number {
    return Math.round(this.options.pollInterval * (0.8 + 0.4 * Math.random()))
  }

  private schedulePoll(ms: number): void {
    this.pollTimer = setTimeout(() => {
      this.pollTimer = null
      void this.runPoll()
    }, ms)
    this.pollTimer.unref?.()
  }

  private async runPoll(): Promise<void> {
    if (this.polling || this.stopped) return
    this.polling = true
    try {
      await this.target.poll()
    } finally {
      this.polling = false
      if (!this.stopped && this.pollTimer === null) this.schedulePoll(this.jittered())
    }
  }
}
