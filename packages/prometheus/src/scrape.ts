import type { CircuitBreakerRegistry, CircuitSnapshot } from '@tripswitch/core'
import { Counter, Gauge } from 'prom-client'

/** One exported series: its labels and its value. */
export interface Sample {
  readonly labels: Record<string, string>
  readonly value: number
}

/** Makes a metric's series from the snapshots of one scrape. */
export type Produce = (snapshots: readonly CircuitSnapshot[]) => Sample[]

type MetricObject = Awaited<ReturnType<Gauge<string>['get']>>

/**
 * The snapshots of one scrape, read once and shared by every metric. prom-client asks all its
 * metrics for their values synchronously, one after another, before awaiting any: a reading
 * stays valid until the microtask queue runs, so a scrape costs one snapshot per breaker
 * however many metrics, and the next scrape reads afresh.
 */
export class ScrapeReader {
  private cached: CircuitSnapshot[] | null = null

  constructor(private readonly registry: CircuitBreakerRegistry) {}

  /** Every breaker's snapshot (the overflow breaker's too), read at most once per turn. */
  read(): readonly CircuitSnapshot[] {
    if (this.cached === null) {
      // snapshot() reads state lazily: an open circuit past its deadline reads half_open.
      this.cached = Object.values(this.registry.snapshot())
      queueMicrotask(() => {
        this.cached = null
      })
    }
    return this.cached
  }
}

interface ScrapeConfig {
  readonly name: string
  readonly help: string
  readonly labelNames: readonly string[]
  readonly produce: () => Sample[]
}

// The series are made from the snapshots at each scrape and never stored in the metric, so an
// evicted breaker's series disappear at the next scrape and nothing is kept between scrapes.
function metricObject(
  metric: Gauge<string> | Counter<string>,
  produce: () => Sample[],
): MetricObject {
  const { name, help } = metric as unknown as { name: string; help: string }
  const type = metric instanceof Counter ? 'counter' : 'gauge'
  return { name, help, type, aggregator: 'sum', values: produce() } as unknown as MetricObject
}

/** A gauge whose series are made at scrape time. */
export class ScrapeGauge extends Gauge<string> {
  private readonly produce: () => Sample[]

  constructor({ name, help, labelNames, produce }: ScrapeConfig) {
    super({ name, help, labelNames, registers: [] })
    this.produce = produce
  }

  override async get(): Promise<MetricObject> {
    return metricObject(this, this.produce)
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
    return metricObject(this, this.produce)
  }
}
