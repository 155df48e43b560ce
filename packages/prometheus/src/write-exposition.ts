import {
  type Metric,
  type Registry,
  Registry as RegistryClass,
  type RegistryContentType,
} from 'prom-client'
import type { ByteWriter } from './byte-writer.ts'
import type { CircuitTable } from './circuit-table.ts'
import { FamilyMetric, type ScrapeTables } from './family-metric.ts'
import type { ScrapeReader } from './scrape.ts'

const OPENMETRICS: string = RegistryClass.OPENMETRICS_CONTENT_TYPE

/** prom-client's registry as `metrics()` uses it: one metric's text at a time. */
interface MetricText {
  getMetricsAsString?: (metric: Metric) => Promise<string>
}

/** The tables of one scrape, each registry read when its first family is written. */
export class Tables implements ScrapeTables {
  private readonly held = new Map<ScrapeReader, CircuitTable>()

  of(reader: ScrapeReader): CircuitTable {
    let table = this.held.get(reader)
    if (table === undefined) {
      table = reader.acquire()
      this.held.set(reader, table)
    }
    return table
  }

  /** Gives every table back to its reader. */
  release(): void {
    for (const [reader, table] of this.held) reader.release(table)
    this.held.clear()
  }
}

/**
 * Writes the exposition of `register` into `writer`, reading breakers into `tables` (given
 * back when done): byte for byte the text of
 * `register.metrics()`, metric after metric in registration order. The families of
 * `registerMetrics` are written as bytes, each breaker registry read once; every other metric
 * (process metrics, a user's, the histogram, `store_up`) is formatted by prom-client itself.
 * Like `metrics()`, an OpenMetrics register renames its counters (`_total` stripped) first.
 */
export async function writeExposition(
  register: Registry<RegistryContentType>,
  writer: ByteWriter,
  tables: Tables,
): Promise<void> {
  const openMetrics = register.contentType === OPENMETRICS
  try {
    // Typed as the objects `get()` returns; they are the metrics themselves.
    const metrics = register.getMetricsAsArray() as unknown as Metric[]
    for (let i = 0; i < metrics.length; i++) {
      if (i > 0) await writer.text(openMetrics ? '\n' : '\n\n')
      await writeMetric(register, metrics[i]!, openMetrics, writer, tables)
    }
  } finally {
    tables.release()
  }
  await writer.text(openMetrics ? '\n# EOF\n' : '\n')
}

async function writeMetric(
  register: Registry<RegistryContentType>,
  metric: Metric,
  openMetrics: boolean,
  writer: ByteWriter,
  tables: Tables,
): Promise<void> {
  const named = metric as unknown as { name: string; type: string }
  if (openMetrics && named.type === 'counter') named.name = named.name.replace(/_total$/, '')
  if (metric instanceof FamilyMetric && (await metric.writeBytes(writer, tables))) return
  await writer.text(await metricText(register, metric, named.name))
}

/**
 * The text of one metric by what `metrics()` itself calls (prom-client's types leave it out).
 * `getSingleMetricAsString` looks a metric up by the name it was registered under, which an
 * OpenMetrics counter no longer carries: only a registry without the former falls back to it.
 */
function metricText(
  register: Registry<RegistryContentType>,
  metric: Metric,
  name: string,
): Promise<string> {
  const { getMetricsAsString } = register as unknown as MetricText
  return typeof getMetricsAsString === 'function'
    ? getMetricsAsString.call(register, metric)
    : register.getSingleMetricAsString(name)
}
