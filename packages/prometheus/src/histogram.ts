import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import {
  type CallEndMessage,
  type CircuitBreakerRegistry,
  DIAGNOSTICS_CHANNELS,
} from '@tripswitch/core'
import { Histogram } from 'prom-client'

/** prom-client's default buckets, in seconds. */
const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

type MetricObject = Awaited<ReturnType<Histogram<string>['get']>>
type Value = MetricObject['values'][number]

/** The durations of one breaker and outcome: counts per bucket (not cumulative), sum, count. */
class Series {
  readonly counts: Float64Array
  sum = 0
  count = 0

  constructor(size: number) {
    this.counts = new Float64Array(size)
  }
}

/** What one breaker has been timed for. */
interface Entry {
  readonly name: string
  successful: Series | null
  failed: Series | null
}

/**
 * `call_duration_seconds{name,kind}`, fed by core's `tripswitch:call:end` channel. A channel,
 * not each breaker's `success`/`failure` events, so that a breaker the registry creates after
 * `registerMetrics` is timed from its first call (the registry announces no new breaker).
 * Counts are kept per breaker object in plain arrays (an observation is a bucket search and two
 * additions, no label hashing) and turned into series at scrape time, when the breakers the
 * registry no longer holds are forgotten.
 */
export class DurationHistogram extends Histogram<'name' | 'kind'> {
  private readonly bounds: readonly number[]
  private readonly entries = new Map<object, Entry>()
  // Breakers of other registries (or standalone) publish on the same channel: told apart once.
  private readonly foreign = new WeakSet<object>()
  private readonly onEnd = (message: unknown) => this.record(message as CallEndMessage)

  constructor(
    private readonly registry: CircuitBreakerRegistry,
    name: string,
    buckets: readonly number[] | undefined,
  ) {
    const bounds = buckets ?? DEFAULT_BUCKETS
    super({
      name,
      help: 'Duration of guarded calls that counted as a success or a failure, in seconds.',
      labelNames: ['name', 'kind'],
      buckets: [...bounds],
      registers: [],
    })
    this.bounds = bounds
    subscribe(DIAGNOSTICS_CHANNELS.callEnd, this.onEnd)
  }

  /** Stops listening for calls. */
  close(): void {
    unsubscribe(DIAGNOSTICS_CHANNELS.callEnd, this.onEnd)
  }

  private record({ name, breaker, outcome, durationMs }: CallEndMessage): void {
    if (outcome === 'ignore' || this.foreign.has(breaker)) return
    const entry = this.entries.get(breaker) ?? this.adopt(name, breaker)
    if (entry === null) return
    const kind = outcome === 'success' ? 'successful' : 'failed'
    const series = entry[kind] ?? new Series(this.bounds.length)
    entry[kind] = series
    const seconds = durationMs / 1000
    let i = 0
    while (i < this.bounds.length && seconds > this.bounds[i]!) i++
    if (i < this.bounds.length) series.counts[i]!++
    series.sum += seconds
    series.count++
  }

  /** The entry of a breaker seen for the first time, or null when it is not the registry's. */
  private adopt(name: string, breaker: object): Entry | null {
    // get() on a held name returns that breaker (marking it used, as its call just did).
    if (!this.registry.has(name) || this.registry.get(name) !== breaker) {
      this.foreign.add(breaker)
      return null
    }
    const entry: Entry = { name, successful: null, failed: null }
    this.entries.set(breaker, entry)
    return entry
  }

  override async get(): Promise<MetricObject> {
    return this.export()
  }

  async getForPromString(): Promise<MetricObject> {
    return this.export()
  }

  private export(): MetricObject {
    const held = new Set<object>(this.registry.list())
    const values: Value[] = []
    for (const [breaker, entry] of this.entries) {
      // Evicted or deleted (a new breaker of the same name starts its own entry).
      if (!held.has(breaker)) this.entries.delete(breaker)
      else for (const kind of ['successful', 'failed'] as const) this.values(values, entry, kind)
    }
    const { name, help, aggregator } = this as unknown as {
      name: string
      help: string
      aggregator: string
    }
    return { name, help, type: 'histogram', aggregator, values } as unknown as MetricObject
  }

  private values(out: Value[], entry: Entry, kind: 'successful' | 'failed'): void {
    const series = entry[kind]
    if (series === null) return
    const metric = (this as unknown as { name: string }).name
    const labels = { name: entry.name, kind }
    let cumulative = 0
    this.bounds.forEach((le, i) => {
      cumulative += series.counts[i]!
      out.push(point(`${metric}_bucket`, { le, ...labels }, cumulative))
    })
    out.push(point(`${metric}_bucket`, { le: '+Inf', ...labels }, series.count))
    out.push(point(`${metric}_sum`, labels, series.sum))
    out.push(point(`${metric}_count`, labels, series.count))
  }
}

function point(metricName: string, labels: Record<string, string | number>, value: number): Value {
  return { metricName, labels, value } as unknown as Value
}
