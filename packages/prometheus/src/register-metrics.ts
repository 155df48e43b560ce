import { type CircuitBreakerRegistry, InvalidOptionsError } from '@tripswitch/core'
import { checks } from '@tripswitch/core/adapter'
import type { Metric, Registry } from 'prom-client'
import { DurationHistogram } from './histogram.ts'
import {
  type PrometheusMetricsOptions,
  resolveMetricsOptions,
  type StoreHealthSource,
} from './options.ts'
import { type Sample, ScrapeCounter, ScrapeGauge, ScrapeReader } from './scrape.ts'
import { callSeries, perCircuit, stateSeries, transitionSeries } from './series.ts'

/** Removes the metrics {@link registerMetrics} added; calling it again does nothing. */
export type UnregisterMetrics = () => void

const REGISTRY_METHODS = ['snapshot', 'list', 'has', 'get', 'on']

/**
 * Exports the breakers of `registry` as Prometheus metrics in a prom-client registry. Values
 * are read from `registry.snapshot()` when scraped: nothing runs on a call's path (unless
 * `histogram` is on). Series follow the registry: an evicted breaker's disappear at the next
 * scrape.
 * @returns a function removing the metrics again.
 * @throws {InvalidOptionsError} for a bad option, or a prefix already used in `register`.
 */
export function registerMetrics(
  registry: CircuitBreakerRegistry,
  options?: PrometheusMetricsOptions,
): UnregisterMetrics {
  checks.objectWith(REGISTRY_METHODS, 'a CircuitBreakerRegistry')(registry, 'registry')
  const { register, prefix, histogram, buckets, store } = resolveMetricsOptions(options)
  const reader = new ScrapeReader(registry)
  const from = (produce: (circuits: ReturnType<ScrapeReader['read']>) => Sample[]) => () =>
    produce(reader.read())
  const metrics: Metric[] = [
    new ScrapeGauge({
      name: `${prefix}circuit_state`,
      help: 'Circuit state, one series per state: 1 for the current one, 0 for the others.',
      labelNames: ['name', 'state'],
      produce: from(stateSeries),
    }),
    new ScrapeCounter({
      name: `${prefix}calls_total`,
      help: 'Calls by how they ended: successful, failed (timeouts included), ignored, not_permitted (refused by the open circuit), timeout, busy (past maxConcurrent).',
      labelNames: ['name', 'kind'],
      produce: from(callSeries),
    }),
    new ScrapeGauge({
      name: `${prefix}failure_rate`,
      help: 'Failures / calls in the current window (0 to 1; 0 without calls).',
      labelNames: ['name'],
      produce: from(perCircuit((s) => s.failureRate)),
    }),
    new ScrapeGauge({
      name: `${prefix}slow_call_rate`,
      help: 'Slow calls / calls in the current window (0 to 1; 0 without calls).',
      labelNames: ['name'],
      produce: from(perCircuit((s) => s.slowCallRate)),
    }),
    new ScrapeGauge({
      name: `${prefix}buffered_calls`,
      help: 'Calls counted in the current window.',
      labelNames: ['name'],
      produce: from(perCircuit((s) => s.calls)),
    }),
    new ScrapeCounter({
      name: `${prefix}transitions_total`,
      help: 'State transitions by edge.',
      labelNames: ['name', 'from', 'to'],
      produce: from(transitionSeries),
    }),
  ]
  if (store !== undefined) metrics.push(storeGauge(prefix, store))
  const durations = histogram
    ? new DurationHistogram(registry, `${prefix}call_duration_seconds`, buckets)
    : null
  if (durations !== null) metrics.push(durations)
  try {
    registerAll(register, metrics, prefix)
  } catch (error) {
    durations?.close()
    reader.close()
    throw error
  }
  let registered = true
  return () => {
    if (!registered) return
    registered = false
    durations?.close()
    reader.close()
    for (const metric of metrics) register.removeSingleMetric(nameOf(metric))
  }
}

function storeGauge(prefix: string, store: StoreHealthSource): Metric {
  return new ScrapeGauge({
    name: `${prefix}store_up`,
    help: 'Whether the shared store is reachable: 1 yes, 0 in an outage (breakers run on local state).',
    labelNames: [],
    produce: () => [{ labels: {}, value: store.unavailable ? 0 : 1 }],
  })
}

function nameOf(metric: Metric): string {
  return (metric as unknown as { name: string }).name
}

/** Registers every metric, or none when one of the names is taken. */
function registerAll(register: Registry, metrics: readonly Metric[], prefix: string): void {
  for (const metric of metrics)
    if (register.getSingleMetric(nameOf(metric)) !== undefined)
      throw new InvalidOptionsError(
        'prefix',
        `a prefix not used yet in this prom-client registry (${nameOf(metric)} exists; export a second breaker registry under a prefix of its own)`,
        prefix,
      )
  for (const metric of metrics) register.registerMetric(metric)
}
