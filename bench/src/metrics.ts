/**
 * Scenario 10: what the metrics exporters cost.
 *
 * 10a. A scrape: `metricsHandler` of a prom-client registry holding `registerMetrics` of 1,000
 *      and 10,000 breakers, served over loopback HTTP to a client in this process that
 *      discards the body (its socket reads are in the count); `register.metrics()` of the
 *      same registry (one string); and a collection by the OpenTelemetry SDK of `instrument`'s
 *      observable instruments (cumulative, its cardinality limit raised so every point is
 *      kept). Time (this process's CPU time unless --clock=wall) and bytes allocated, the
 *      returned text included.
 * 10b. A call: a closed `execute(fn)` of a registry exported to Prometheus (and instrumented
 *      for OpenTelemetry without span attributes) against one that is not: both read at scrape
 *      time, nothing is added to a call. Then with the duration histogram on, which makes
 *      every breaker of the process time its calls (its row is measured after, alone).
 * 10c. A closed call with and without core's diagnostics_channel subscribers (diagnostics.ts).
 */
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import type { CircuitBreaker } from '@tripswitch/core'
import { instrument } from '@tripswitch/opentelemetry'
import { metricsHandler, registerMetrics } from '@tripswitch/prometheus'
import { Registry } from 'prom-client'
import { diagnosticsTable } from './diagnostics.ts'
import {
  type BenchConfig,
  inProcessClock,
  measure,
  median,
  pairedRatio,
  type Samples,
  scaledOps,
} from './harness.ts'
import { manyBreakers, type ScrapeCost, scrapeCost, scrapeOverHttp } from './metrics-scrape.ts'
import { sdkAloneCollection } from './otel-floor.ts'
import {
  formatInt,
  formatNs,
  formatRatio,
  type Scenario,
  type Table,
  timingTable,
} from './report.ts'

const SIZES = [1_000, 10_000] as const
const OPS = 100_000
/**
 * Targets for a scrape of 10,000 breakers through metricsHandler, and for a call (a ratio
 * against the same call).
 */
const TARGET_SCRAPE_MS = 50
const TARGET_SCRAPE_MB = 5
const TARGET_CALL_RATIO = 1.05

const fn = async (): Promise<number> => 1

/** A reader the bench collects on demand (the SDK's own collection path). */
class OnDemandReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

async function prometheusScrape(count: number, rounds: number): Promise<ScrapeCost> {
  const registry = await manyBreakers(count)
  const register = new Registry()
  const unregister = registerMetrics(registry, { register })
  const cost = await scrapeCost(async () => (await register.metrics()).length, rounds)
  unregister()
  return cost
}

async function handlerScrape(count: number, rounds: number): Promise<ScrapeCost> {
  const registry = await manyBreakers(count)
  const register = new Registry()
  const unregister = registerMetrics(registry, { register })
  const cost = await scrapeOverHttp(metricsHandler({ register }), rounds)
  unregister()
  return cost
}

async function openTelemetryCollection(count: number, rounds: number): Promise<ScrapeCost> {
  const registry = await manyBreakers(count)
  // The SDK keeps 2,000 streams per instrument unless told: 10,000 circuits need more.
  const reader = new OnDemandReader({ cardinalitySelector: () => 1_000_000 })
  const meterProvider = new MeterProvider({ readers: [reader] })
  const dispose = instrument(registry, { meterProvider, spanAttributes: false })
  // A collection of 10,000 circuits takes long: fewer of them.
  const cost = await scrapeCost(
    async () => {
      const { resourceMetrics } = await reader.collect()
      return resourceMetrics.scopeMetrics
        .flatMap((scope) => scope.metrics)
        .reduce((points, metric) => points + metric.dataPoints.length, 0)
    },
    Math.min(rounds, 3),
    1,
  )
  dispose()
  await meterProvider.shutdown()
  return cost
}

const mb = (bytes: number): string => (bytes / 1e6).toFixed(1)

/** What each contender of table 10a cost, one entry per size. */
interface ScrapeCosts {
  readonly handler: ScrapeCost[]
  readonly prometheus: ScrapeCost[]
  readonly otel: ScrapeCost[]
  readonly sdkAlone: ScrapeCost[]
}

function scrapeTable({ handler, prometheus, otel, sdkAlone }: ScrapeCosts, rounds: number): Table {
  const clock = inProcessClock() === 'cpu' ? 'CPU ms' : 'ms'
  const rows = SIZES.flatMap((count, i) => [
    [
      `metricsHandler over loopback HTTP, ${formatInt(count)} breakers`,
      handler[i]!.ms.toFixed(1),
      mb(handler[i]!.bytes),
      `${mb(handler[i]!.size)} MB of text`,
    ],
    [
      `prom-client register.metrics(), ${formatInt(count)} breakers`,
      prometheus[i]!.ms.toFixed(1),
      mb(prometheus[i]!.bytes),
      `${mb(prometheus[i]!.size)} MB of text`,
    ],
    [
      `OpenTelemetry SDK collect(), ${formatInt(count)} breakers`,
      otel[i]!.ms.toFixed(1),
      mb(otel[i]!.bytes),
      `${formatInt(otel[i]!.size)} points`,
    ],
    [
      `OpenTelemetry SDK alone, the same points pre-made, ${formatInt(count)} breakers`,
      sdkAlone[i]!.ms.toFixed(1),
      mb(sdkAlone[i]!.bytes),
      `${formatInt(sdkAlone[i]!.size)} points`,
    ],
  ])
  return {
    title: `10a. One scrape of the breakers' metrics (median of ${rounds})`,
    head: ['contender', `median ${clock}`, 'MB allocated', 'output'],
    rows,
    note:
      'Each measured scrape starts after a forced GC and 50 ms for its background sweeping (CPU time counts every thread).' +
      ' MB allocated: JS heap growth plus what GCs freed during the scrape, the returned text included. metricsHandler: a real server' +
      " on 127.0.0.1 and a client in this process discarding the body, both counted (the client's socket reads and HTTP parsing too);" +
      ' the text is written into reused buffers, sent as chunks. register.metrics() (information): prom-client copies the text twice' +
      ' (a family, then the whole exposition), so it allocates at least three times its text.' +
      " OpenTelemetry SDK alone: one batch callback observing as many points with attributes made beforehand, no Tripswitch: the SDK's own aggregation cost.",
  }
}

/** Closed calls of a registry exported, against one that is not; then the histogram on. */
async function callCost(config: BenchConfig): Promise<{ samples: Samples[]; histogram: number }> {
  const rounds = {
    rounds: config.rounds,
    warmupRounds: config.warmupRounds,
    clock: inProcessClock(),
  }
  const ops = scaledOps(OPS, config)
  const quiet = (await manyBreakers(1)).get('route-0')
  const exportedRegistry = await manyBreakers(1)
  const breaker = exportedRegistry.get('route-0')
  const unregister = registerMetrics(exportedRegistry, { register: new Registry() })
  const reader = new OnDemandReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  const dispose = instrument(exportedRegistry, { meterProvider, spanAttributes: false })
  const loop = (b: CircuitBreaker) => async (n: number) => {
    for (let i = 0; i < n; i++) await b.execute(fn)
  }
  const samples = await measure(
    [
      { name: 'execute(fn), registry not exported', run: loop(quiet) },
      { name: 'execute(fn), registerMetrics + instrument', run: loop(breaker) },
    ],
    { ...rounds, ops },
  )
  unregister()
  // The histogram's subscriber makes every breaker of the process time its calls.
  const timedRegistry = await manyBreakers(1)
  const stop = registerMetrics(timedRegistry, { register: new Registry(), histogram: true })
  const [timed] = await measure([{ name: 'histogram', run: loop(timedRegistry.get('route-0')) }], {
    ...rounds,
    ops,
  })
  stop()
  dispose()
  await meterProvider.shutdown()
  return { samples, histogram: median(timed!.nsPerOp) - median(samples[0]!.nsPerOp) }
}

export const metrics: Scenario = {
  id: 'metrics',
  title: 'metrics exporters: scrape and call cost',
  async run(config: BenchConfig) {
    const rounds = Math.max(3, Math.min(7, config.rounds))
    const costs: ScrapeCosts = { handler: [], prometheus: [], otel: [], sdkAlone: [] }
    for (const count of SIZES) {
      costs.handler.push(await handlerScrape(count, rounds))
      costs.prometheus.push(await prometheusScrape(count, rounds))
      costs.otel.push(await openTelemetryCollection(count, rounds))
      costs.sdkAlone.push(await sdkAloneCollection(count, rounds))
    }
    const { samples, histogram } = await callCost(config)
    const ratio = pairedRatio(samples[1]!, samples[0]!)
    const large = costs.handler[SIZES.indexOf(10_000)]!
    return {
      tables: [
        scrapeTable(costs, rounds),
        timingTable(
          '10b. A closed call of an exported registry (values are read at scrape time)',
          samples,
          'ns',
          samples[0],
          `With histogram: true, every breaker of the process times its calls: +${formatNs(histogram)} ns per call.`,
        ),
        await diagnosticsTable(config),
      ],
      checks: [
        {
          label: `metricsHandler scrape of 10,000 breakers over HTTP ≤ ${TARGET_SCRAPE_MS} ms`,
          actual: `${large.ms.toFixed(1)} ms`,
          pass: large.ms <= TARGET_SCRAPE_MS,
        },
        {
          label: `metricsHandler scrape of 10,000 breakers over HTTP ≤ ${TARGET_SCRAPE_MB} MB allocated`,
          actual: `${mb(large.bytes)} MB (for ${mb(large.size)} MB of text streamed)`,
          pass: large.bytes <= TARGET_SCRAPE_MB * 1e6,
        },
        {
          label: `closed call with registerMetrics + instrument ≤ ${TARGET_CALL_RATIO}× without`,
          actual: formatRatio(ratio),
          pass: ratio <= TARGET_CALL_RATIO,
        },
      ],
    }
  },
}
