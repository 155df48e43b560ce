import type { ByteWriter } from './byte-writer.ts'
import type { CircuitTable } from './circuit-table.ts'
import type { ExtraLabels } from './exposition.ts'
import type { FamilySpec } from './families.ts'

/** Room for a value: the longest number text is 24 bytes (`-1.2345678901234567e-308`). */
const VALUE_BYTES = 32
/**
 * Room for a line's labels beside `name` and the defaults: more than any family has (the
 * longest, `",from="forced_open",to="half_open"`, is 36 bytes).
 */
const MAX_EXTRA_LABELS = 64

/** prom-client's escaping of a metric name and of help text: backslash and line feed. */
function escapeString(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

/** What the fixed parts of a family's text depend on. */
export interface FamilyShape {
  /** The metric name in HELP and TYPE (prom-client strips a counter's `_total` for OpenMetrics). */
  readonly name: string
  readonly help: string
  readonly type: string
  /** The metric name written on each line. */
  readonly lineName: string
  /** What ends the labels of each line: the default labels' text, `}` and a space. */
  readonly close: string
}

/**
 * The text of one metric family written as bytes: its HELP and TYPE lines, then a line
 * `\n${lineName}{name="…",…} value` per series. The fixed parts of a line (up to the name,
 * and from the quote closing the name to the value) are encoded once and copied; the name and
 * the value are written in place (see {@link ByteWriter}). The encoded parts are kept while the
 * family's shape (its names, the content type, the default labels) stays the same.
 */
export class FamilyBytes {
  private key = ''
  private head: Buffer = Buffer.alloc(0)
  private start: Buffer = Buffer.alloc(0)
  private close = ''
  /** The longest line of the family but for the circuit name, in bytes. */
  private line = 0
  private readonly rests = new Map<ExtraLabels, Buffer>()
  /** The writer and the escaped circuit name of the lines {@link emit} writes. */
  private writer: ByteWriter | null = null
  private name = ''

  constructor(private readonly spec: FamilySpec) {}

  /**
   * Writes the family, the series of every row of `table`, the way prom-client writes it:
   * `# HELP …\n# TYPE …` then each line after a line feed, no line feed at the end.
   */
  async write(writer: ByteWriter, shape: FamilyShape, table: CircuitTable): Promise<void> {
    this.prepare(shape)
    if (writer.room < this.head.length) await this.reserve(writer, this.head.length, shape)
    writer.bytes(this.head)
    const { spec } = this
    for (let i = 0; i < table.size; i++) {
      const name = table.escapedNames[i]!
      // Room for every line of the circuit at once: one check per circuit, not per line.
      const need = spec.lines(table, i) * (this.line + name.length * 3)
      if (writer.room < need) await this.reserve(writer, need, shape)
      // Set after any wait: a concurrent scrape writes this family with its own writer.
      this.writer = writer
      this.name = name
      spec.series(table, i, this.emit)
    }
    this.writer = null
  }

  /** Waits for room; the parts are encoded again if a concurrent scrape changed them. */
  private async reserve(writer: ByteWriter, bytes: number, shape: FamilyShape): Promise<void> {
    await writer.reserve(bytes)
    this.prepare(shape)
  }

  /** Writes one line of the current circuit (one function for every line). */
  private readonly emit = (extra: ExtraLabels, value: number): void => {
    const writer = this.writer!
    writer.bytes(this.start)
    writer.utf8(this.name)
    writer.bytes(this.rests.get(extra) ?? this.rest(extra))
    writer.value(value)
  }

  private prepare(shape: FamilyShape): void {
    const key = `${shape.name}\n${shape.help}\n${shape.type}\n${shape.lineName}\n${shape.close}`
    if (key === this.key) return
    const name = escapeString(shape.name)
    this.head = Buffer.from(
      `# HELP ${name} ${escapeString(shape.help)}\n# TYPE ${name} ${shape.type}`,
    )
    this.start = Buffer.from(`\n${shape.lineName}{name="`)
    this.close = shape.close
    this.line = this.start.length + Buffer.byteLength(shape.close) + MAX_EXTRA_LABELS + VALUE_BYTES
    this.rests.clear()
    this.key = key
  }

  private rest(extra: ExtraLabels): Buffer {
    const rest = Buffer.from(extra.afterName + this.close)
    this.rests.set(extra, rest)
    return rest
  }
}
