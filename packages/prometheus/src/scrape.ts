import type { CircuitBreakerRegistry } from '@tripswitch/core'
import { CircuitTable } from './circuit-table.ts'

/** Tables kept for reuse beyond the one being read: enough for a few concurrent scrapes. */
const SPARE_TABLES = 4

/**
 * The circuits of a breaker registry read for scrapes, into {@link CircuitTable}s reused scrape
 * after scrape. Nothing else is kept between scrapes, so an evicted breaker's series disappear
 * at the next one.
 */
export class ScrapeReader {
  private cached: CircuitTable | null = null
  private readonly spare: CircuitTable[] = []

  constructor(private readonly registry: CircuitBreakerRegistry) {}

  /**
   * Every circuit, read at most once per turn, for `register.metrics()`. prom-client asks all
   * its metrics for their values synchronously, one after another, before awaiting any: a
   * reading stays valid until the microtask queue runs, so a scrape reads each breaker once
   * however many metrics, and the next scrape reads afresh.
   */
  read(): CircuitTable {
    if (this.cached === null) {
      const table = this.acquire()
      this.cached = table
      queueMicrotask(() => {
        this.cached = null
        this.release(table)
      })
    }
    return this.cached
  }

  /** Every circuit read now, into a table the caller holds until {@link release}. */
  acquire(): CircuitTable {
    return (this.spare.pop() ?? new CircuitTable()).fill(this.registry)
  }

  /** Gives back a table from {@link acquire}. */
  release(table: CircuitTable): void {
    table.clear()
    if (this.spare.length < SPARE_TABLES) this.spare.push(table)
  }
}
