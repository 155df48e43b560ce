/**
 * What the OpenTelemetry SDK itself charges for a collection, without Tripswitch: one batch
 * callback observing as many points as `instrument` reports for `circuits` circuits (14 per
 * idle circuit), each with attributes made once beforehand. Read next to the `instrument` row,
 * it tells how much of a collection is the SDK's own aggregation.
 */
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { type ScrapeCost, scrapeCost } from './metrics-scrape.ts'

/** Points `instrument` reports per idle circuit: 5 states, 6 call kinds, 3 window gauges. */
const POINTS_PER_CIRCUIT = 14

class OnDemandReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** Collections of the SDK alone, fed the points of `circuits` circuits. */
export async function sdkAloneCollection(circuits: number, rounds: number): Promise<ScrapeCost> {
  const reader = new OnDemandReader({ cardinalitySelector: () => 1_000_000 })
  const provider = new MeterProvider({ readers: [reader] })
  const meter = provider.getMeter('sdk-alone')
  const gauge = meter.createObservableGauge('sdk.alone')
  const attributes = Array.from({ length: circuits * POINTS_PER_CIRCUIT }, (_, i) => ({
    'tripswitch.circuit.name': `route-${i % circuits}`,
    series: String(Math.floor(i / circuits)),
  }))
  meter.addBatchObservableCallback(
    (result) => {
      for (const set of attributes) result.observe(gauge, 1, set)
    },
    [gauge],
  )
  const cost = await scrapeCost(
    async () => {
      const { resourceMetrics } = await reader.collect()
      return resourceMetrics.scopeMetrics[0]?.metrics[0]?.dataPoints.length ?? 0
    },
    Math.min(rounds, 3),
    1,
  )
  await provider.shutdown()
  return cost
}
