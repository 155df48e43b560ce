import { type Registry, Registry as RegistryClass, type RegistryContentType } from 'prom-client'
import type { ByteWriter } from './byte-writer.ts'
import type { CircuitTable } from './circuit-table.ts'
import { type ExtraLabels, escapeLabelValue, FamilyText, wellFormed } from './exposition.ts'
import type { FamilySpec } from './families.ts'
import { FamilyBytes, type FamilyShape } from './family-bytes.ts'
import type { ScrapeReader } from './scrape.ts'

/** A series as prom-client's registry reads it. */
interface Value {
  readonly metricName?: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
  readonly sharedLabels?: Readonly<Record<string, string>>
}

/** What prom-client's registry reads from a metric: `get()` for JSON, the other for text. */
export interface FamilyObject {
  readonly name: string
  readonly help: string
  readonly type: 'gauge' | 'counter'
  readonly aggregator: 'sum'
  readonly values: readonly Value[]
}

const OPENMETRICS: string = RegistryClass.OPENMETRICS_CONTENT_TYPE

/** The tables of one streamed scrape: each breaker registry read once, when first needed. */
export interface ScrapeTables {
  /** The table of `reader`'s registry for this scrape. */
  of(reader: ScrapeReader): CircuitTable
}

/**
 * The `sharedLabels` of a series: none, but always the same object. prom-client formats a
 * series' shared labels through a cache keyed by that object; without one it makes a fresh `{}`
 * per value and adds it to that cache (a WeakMap).
 */
const NO_SHARED_LABELS: Readonly<Record<string, string>> = Object.freeze({})

/**
 * One metric family of a breaker registry, registered in a prom-client registry. Not a
 * prom-client Gauge or Counter: it keeps no values, it makes them from the snapshots of the
 * scrape when asked (`get()` for `getMetricsAsJSON`, `getForPromString()` for `metrics()`),
 * and writes the text of its series itself (see {@link FamilyText}): prom-client's per-series
 * formatting costs 1 to 2 µs a line, about 200 ms for the 140,000 lines of 10,000 breakers.
 * {@link writeBytes} writes the same text as bytes, for `metricsHandler`.
 */
export class FamilyMetric {
  /** The metric name. prom-client strips `_total` off a counter's for OpenMetrics text. */
  name: string
  readonly help: string
  readonly type: 'gauge' | 'counter'
  readonly labelNames: readonly string[]
  readonly aggregator = 'sum'

  private readonly bytes: FamilyBytes

  constructor(
    prefix: string,
    private readonly spec: FamilySpec,
    private readonly reader: ScrapeReader,
    private readonly register: Registry<RegistryContentType>,
  ) {
    this.bytes = new FamilyBytes(spec)
    this.name = `${prefix}${spec.suffix}`
    this.help = spec.help
    this.type = spec.type
    this.labelNames = spec.labelNames
  }

  /** The family with one value per series (prom-client's JSON). */
  async get(): Promise<FamilyObject> {
    return this.withValues(this.values(false))
  }

  /** The family for prom-client's text: its lines already written (see {@link FamilyText}). */
  async getForPromString(): Promise<FamilyObject> {
    const shape = this.shape()
    // Default labels that cannot be read: prom-client formats every series itself.
    if (shape === null) return this.withValues(this.values(true))
    const table = this.reader.read()
    const text = new FamilyText(shape.lineName, shape.close)
    for (let i = 0; i < table.size; i++) {
      text.circuit(table.names[i]!, table.escapedNames[i]!)
      this.spec.series(table, i, text.emit)
    }
    const last = text.finish(this.name)
    return this.withValues(last === null ? [] : [{ ...last, sharedLabels: NO_SHARED_LABELS }])
  }

  /**
   * Writes the family's text, byte for byte what `register.metrics()` writes for it, with the
   * table of `tables`. False, writing nothing, when prom-client must format it (default labels
   * that cannot be read).
   */
  async writeBytes(writer: ByteWriter, tables: ScrapeTables): Promise<boolean> {
    const shape = this.shape()
    if (shape === null) return false
    await this.bytes.write(writer, shape, tables.of(this.reader))
    return true
  }

  /** The fixed parts of the family's text now, or null when the default labels cannot be read. */
  private shape(): FamilyShape | null {
    const defaults = defaultLabelsOf(this.register)
    if (defaults === null) return null
    const openMetrics = this.register.contentType === OPENMETRICS
    // Where prom-client would add the suffix to the last line, it is written on the others.
    const lineName = openMetrics && this.type === 'counter' ? `${this.name}_total` : this.name
    const close = `${defaultLabelsText(defaults, this.labelNames)}} `
    return { name: this.name, help: this.help, type: this.type, lineName, close }
  }

  /** Values are made at each scrape, never kept: nothing to reset. */
  reset(): void {}

  private withValues(values: readonly Value[]): FamilyObject {
    const { name, help, type, aggregator } = this
    return { name, help, type, aggregator, values }
  }

  private values(forText: boolean): Value[] {
    const out: Value[] = []
    let name = ''
    const emit = (extra: ExtraLabels, value: number) => {
      const labels = { name, ...extra.labels }
      out.push(forText ? { labels, value, sharedLabels: NO_SHARED_LABELS } : { labels, value })
    }
    const table = this.reader.read()
    for (let i = 0; i < table.size; i++) {
      name = wellFormed(table.names[i]!)
      this.spec.series(table, i, emit)
    }
    return out
  }
}

/**
 * The default labels of `register` (`register.setDefaultLabels`), or null when they cannot be
 * read. prom-client 15 keeps them in `_defaultLabels` and offers no getter.
 */
function defaultLabelsOf(
  register: Registry<RegistryContentType>,
): Readonly<Record<string, unknown>> | null {
  const labels: unknown = (register as unknown as { _defaultLabels?: unknown })._defaultLabels
  return typeof labels === 'object' && labels !== null && !Array.isArray(labels)
    ? (labels as Record<string, unknown>)
    : null
}

/**
 * The default labels as prom-client writes them after a series' own: `,key="value"` for each
 * key that is not one of the family's labels (a series' own label wins).
 */
function defaultLabelsText(
  defaults: Readonly<Record<string, unknown>>,
  own: readonly string[],
): string {
  let text = ''
  for (const [key, value] of Object.entries(defaults))
    if (!own.includes(key)) text += `,${key}="${escapeLabelValue(String(value))}"`
  return text
}
