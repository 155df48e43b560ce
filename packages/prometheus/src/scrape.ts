import {
  type CircuitBreakerRegistry,
  type CircuitSnapshot,
  OVERFLOW_BREAKER_NAME,
} from '@tripswitch/core'
import { Counter, Gauge } from 'prom-client'
import { LabelCache } from './labels.ts'
import type { Circuit } from './series.ts'

/** One exported series: its labels and its value. */
export interface Sample {
  readonly labels: Record<string, string>
  readonly value: number
}

type MetricObject = Awaited<ReturnType<Gauge<string>['get']>>

/**
 * The snapshots of one scrape, read once and shared by every metric. prom-client asks all its
 * metrics for their values synchronously, one after another, before awaiting any: a reading
 * stays valid until the microtask queue runs, so a scrape costs one snapshot per breaker
 * however many metrics, and the next scrape reads afresh.
 */
export class ScrapeReader {
  private cached: Circuit[] | null = null
  private readonly labels = new LabelCache()
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
  read(): readonly Circuit[] {
    if (this.cached === null) {
      // snapshot() reads state lazily: an open circuit past its deadline reads half_open.
      const snapshots = this.snapshots()
      const labels = this.labels.refresh(snapshots.map((s) => s.name))
      this.cached = snapshots.map((snapshot, i) => ({ snapshot, labels: labels[i]! }))
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

interface ScrapeConfig {
  readonly name: string
  readonly help: string
  readonly labelNames: readonly string[]
  readonly produce: () => Sample[]
}

/**
 * The `sharedLabels` of every series: none, but always the same object. prom-client formats a
 * series' shared labels through a cache keyed by that object; without one it makes a fresh `{}`
 * per series and adds it to that cache (a WeakMap): one entry per line, which at 100,000 series
 * costs more in garbage collection than the rest of the scrape.
 */
const NO_SHARED_LABELS: Readonly<Record<string, string>> = Object.freeze({})

// The series are made from the snapshots at each scrape and never stored in the metric, so an
// evicted breaker's series disappear at the next scrape and nothing is kept between scrapes.
function metricObject(
  metric: Gauge<string> | Counter<string>,
  samples: Sample[],
  forText: boolean,
): MetricObject {
  const { name, help } = metric as unknown as { name: string; help: string }
  const type = metric instanceof Counter ? 'counter' : 'gauge'
  const values = forText
    ? samples.map(({ labels, value }) => ({ labels, value, sharedLabels: NO_SHARED_LABELS }))
    : samples
  return { name, help, type, aggregator: 'sum', values } as unknown as MetricObject
}

/** A gauge whose series are made at scrape time. */
export class ScrapeGauge extends Gauge<string> {
  private readonly produce: () => Sample[]

  constructor({ name, help, labelNames, produce }: ScrapeConfig) {
    super({ name, help, labelNames, registers: [] })
    this.produce = produce
  }

  override async get(): Promise<MetricObject> {
    return metricObject(this, this.produce(), false)
  }

  /** What prom-client writes as text (it prefers this to `get`, as for its histograms). */
  async getForPromString(): Promise<MetricObject> {
    return metricObject(this, this.produce(), true)
  }
}

/** A counter whose series are made at scrape time, from totals that only grow. */
export class ScrapeCounter extends Counter<string> {
  private readonly produce: () => Sample[]

  constructor({ name, help, labelNames, produce }: ScrapeConfig) {
    super({ name, help, labelNames, registers: [] })
    this.produce = produce
  }

  override async get(): Promise<MetricObject> {
    return metricObject(this, this.produce(), false)
  }

  /** What prom-client writes as text (it prefers this to `get`, as for its histograms). */
  async getForPromString(): Promise<MetricObject> {
    return metricObject(this, this.produce(), true)
  }
}
