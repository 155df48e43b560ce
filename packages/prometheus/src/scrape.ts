import {
  type CircuitBreakerRegistry,
  type CircuitSnapshot,
  OVERFLOW_BREAKER_NAME,
} from '@tripswitch/core'
import { escapeLabelValue } from './exposition.ts'

/** The circuits of one scrape: each snapshot, and its name escaped for the text format. */
export interface Scrape {
  readonly snapshots: readonly CircuitSnapshot[]
  /** `escapedNames[i]` is `snapshots[i].name` as written between quotes. */
  readonly escapedNames: readonly string[]
}

/**
 * The snapshots of one scrape, read once and shared by every metric. prom-client asks all its
 * metrics for their values synchronously, one after another, before awaiting any: a reading
 * stays valid until the microtask queue runs, so a scrape costs one snapshot per breaker
 * however many metrics, and the next scrape reads afresh. Nothing is kept between scrapes, so
 * an evicted breaker's series disappear at the next one.
 */
export class ScrapeReader {
  private cached: Scrape | null = null
  private overflowed: boolean
  private readonly stopWatching: () => void

  constructor(private readonly registry: CircuitBreakerRegistry) {
    this.overflowed = Object.hasOwn(registry.snapshot(), OVERFLOW_BREAKER_NAME)
    this.stopWatching = registry.on('overflow', () => {
      this.overflowed = true
    })
  }

  /** Stops watching the registry. */
  close(): void {
    this.stopWatching()
  }

  /** Every breaker's snapshot (the overflow breaker's too), read at most once per turn. */
  read(): Scrape {
    if (this.cached === null) {
      // snapshot() reads state lazily: an open circuit past its deadline reads half_open.
      const snapshots = this.snapshots()
      // Most names need no escaping: escapeLabelValue returns them as they are.
      const escapedNames = snapshots.map((s) => escapeLabelValue(s.name))
      this.cached = { snapshots, escapedNames }
      queueMicrotask(() => {
        this.cached = null
      })
    }
    return this.cached
  }

  // registry.list() does not hold the overflow breaker; registry.snapshot() does, but defines
  // a property per breaker on one object (several times slower at 10,000 breakers). The
  // overflow breaker exists once an `overflow` event was emitted, or already at registration.
  private snapshots(): CircuitSnapshot[] {
    if (this.overflowed) return Object.values(this.registry.snapshot())
    return this.registry.list().map((breaker) => breaker.snapshot())
  }
}
