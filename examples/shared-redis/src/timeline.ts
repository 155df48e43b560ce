import type { CircuitState } from '@tripswitch/core'
import { type WorkerMessage, wallTime } from './messages.ts'

/** One line of the run's history; `at` is wall time in ms (see {@link wallTime}). */
export type TimelineEntry =
  | WorkerMessage
  | { readonly type: 'note'; readonly at: number; readonly text: string }
  /** A transition Redis published on the store's channel: the fleet-wide truth. */
  | {
      readonly type: 'published'
      readonly at: number
      readonly state: CircuitState
      readonly generation: number
    }

/** A condition the scenario waits for, and what to say if it never holds. */
interface Waiter {
  readonly condition: (entries: readonly TimelineEntry[]) => boolean
  readonly resolve: () => void
  readonly reject: (error: Error) => void
}

/**
 * Everything that happened, from every process, plus waiting on it: the coordinator moves to
 * its next step when the entries show the fleet got there, never after a fixed sleep.
 */
export class Timeline {
  readonly startedAt: number = wallTime()
  readonly entries: TimelineEntry[] = []
  private readonly waiters = new Set<Waiter>()
  private failure: Error | null = null

  add(entry: TimelineEntry): void {
    this.entries.push(entry)
    for (const waiter of this.waiters) {
      if (!waiter.condition(this.entries)) continue
      this.waiters.delete(waiter)
      waiter.resolve()
    }
  }

  note(text: string): void {
    this.add({ type: 'note', at: wallTime(), text })
  }

  /** Resolves once `condition` holds; rejects after `timeoutMs`, naming `what`. */
  until(
    condition: (entries: readonly TimelineEntry[]) => boolean,
    what: string,
    timeoutMs: number,
  ): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure)
    if (condition(this.entries)) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter)
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))
      }, timeoutMs)
      const waiter: Waiter = {
        condition,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        },
      }
      this.waiters.add(waiter)
    })
  }

  /** Something broke (a worker died): every wait, now and later, fails with `error`. */
  fail(error: Error): void {
    this.failure ??= error
    for (const waiter of this.waiters) waiter.reject(error)
    this.waiters.clear()
  }
}

/** The entries of one `type`, typed. */
export function entriesOf<T extends TimelineEntry['type']>(
  entries: readonly TimelineEntry[],
  type: T,
): Extract<TimelineEntry, { type: T }>[] {
  return entries.filter((e): e is Extract<TimelineEntry, { type: T }> => e.type === type)
}

/** True when each of `workers` workers has at least `count` entries matching `match`. */
export function everyWorker(
  entries: readonly TimelineEntry[],
  workers: number,
  match: (entry: TimelineEntry) => boolean,
  count = 1,
): boolean {
  const seen = new Map<number, number>()
  for (const entry of entries)
    if ('worker' in entry && match(entry)) seen.set(entry.worker, (seen.get(entry.worker) ?? 0) + 1)
  let done = 0
  for (const n of seen.values()) if (n >= count) done++
  return done >= workers
}
