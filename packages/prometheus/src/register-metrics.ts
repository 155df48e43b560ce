import { type CircuitBreakerRegistry, InvalidOptionsError } from '@tripswitch/core'
import { checks } from '@tripswitch/core/adapter'
import { Gauge, type Metric, type Registry, type RegistryContentType } from 'prom-client'
import { FAMILIES } from './families.ts'
import { FamilyMetric } from './family-metric.ts'
import { DurationHistogram } from './histogram.ts'
import {
  type PrometheusMetricsOptions,
  resolveMetricsOptions,
  type StoreHealthSource,
} from './options.ts'
import { ScrapeReader } from './scrape.ts'

/** Removes the metrics {@link registerMetrics} added; calling it again does nothing. */
export type UnregisterMetrics = () => void

const REGISTRY_METHODS = ['snapshot', 'list', 'has', 'get', 'on']

/**
 * Exports the breakers of `registry` as Prometheus metrics in a prom-client registry. Values
 * are read from the breakers when scraped (what `registry.snapshot()` would say, without making
 * the snapshots): nothing runs on a call's path (unless `histogram` is on). Series follow the
 * registry: an evicted breaker's disappear at the next scrape. Serve them with
 * {@link metricsHandler} (streamed) or `register.metrics()` (one string).
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
  const metrics: Metric[] = FAMILIES.map(
    // Not a prom-client class, but what its registry reads from one (see FamilyMetric).
    (spec) => new FamilyMetric(prefix, spec, reader, register) as unknown as Metric,
  )
  if (store !== undefined) metrics.push(storeGauge(prefix, store))
  const durations = histogram
    ? new DurationHistogram(registry, `${prefix}call_duration_seconds`, buckets)
    : null
  if (durations !== null) metrics.push(durations)
  const names = metrics.map(nameOf)
  try {
    registerAll(register, metrics, prefix)
  } catch (error) {
    durations?.close()
    throw error
  }
  let registered = true
  return () => {
    if (!registered) return
    registered = false
    durations?.close()
    // By the names registered under: prom-client renames a counter for OpenMetrics text.
    names.forEach((name, i) => {
      if (register.getSingleMetric(name) === metrics[i]) register.removeSingleMetric(name)
    })
  }
}

function storeGauge(prefix: string, store: StoreHealthSource): Metric {
  return new Gauge({
    name: `${prefix}store_up`,
    help: 'Whether the shared store is reachable: 1 yes, 0 in an outage (breakers run on local state).',
    registers: [],
    collect() {
      this.set(store.unavailable ? 0 : 1)
    },
  })
}

function nameOf(metric: Metric): string {
  return (metric as unknown as { name: string }).name
}

/** Registers every metric, or none when one of the names is taken. */
function registerAll(
  register: Registry<RegistryContentType>,
  metrics: readonly Metric[],
  prefix: string,
): void {
  for (const metric of metrics)
    if (register.getSingleMetric(nameOf(metric)) !== undefined)
      throw new InvalidOptionsError(
        'prefix',
        `a prefix not used yet in this prom-client registry (${nameOf(metric)} exists; export a second breaker registry under a prefix of its own)`,
        prefix,
      )
  for (const metric of metrics) register.registerMetric(metric)
}
