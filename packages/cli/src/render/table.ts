import type { CircuitRow } from '../model.ts'
import { printable } from './sanitize.ts'
import type { Style } from './style.ts'

/** How a table is laid out. */
export interface TableOptions {
  readonly style: Style
  /** Terminal width in columns; names are shortened to fit. Unbounded when absent. */
  readonly width?: number | undefined
  /** The current time, epoch ms (counts `RETRY IN` down from each row's `at`). */
  readonly now: number
}

interface Column {
  readonly title: string
  readonly align: 'left' | 'right'
  /** The cell's text, or `null` when the source does not know it. */
  readonly cell: (row: CircuitRow, now: number) => string | null
}

const percent = (rate: number | null) => (rate === null ? null : `${(rate * 100).toFixed(1)}%`)

function seconds(ms: number): string {
  return ms >= 60_000
    ? `${Math.floor(ms / 60_000)}m${Math.ceil((ms % 60_000) / 1000)}s`
    : `${(ms / 1000).toFixed(1)}s`
}

function retryIn(row: CircuitRow, now: number): string {
  if (row.state !== 'open') return '-'
  return seconds(Math.max(0, row.retryAfterMs - Math.max(0, now - row.at)))
}

// The name and state columns come first and are always shown; a metric column is shown only
// when some row knows its value (Redis has no rates, a single instance has no fleet).
const METRICS: readonly Column[] = [
  { title: 'FAILURES', align: 'right', cell: (row) => percent(row.failureRate) },
  { title: 'SLOW', align: 'right', cell: (row) => percent(row.slowCallRate) },
  {
    title: 'CALLS/S',
    align: 'right',
    cell: (row) => (row.callsPerSecond === null ? null : row.callsPerSecond.toFixed(1)),
  },
  { title: 'RETRY IN', align: 'right', cell: retryIn },
  {
    title: 'GEN',
    align: 'right',
    cell: (row) => (row.generation === null ? null : String(row.generation)),
  },
  {
    title: 'INSTANCES',
    align: 'right',
    cell: (row) => (row.instances === null ? null : String(row.instances.length)),
  },
]

const GAP = '  '
/** Narrowest the name column gets on a narrow terminal. */
const MIN_NAME = 12

const pad = (text: string, width: number, align: 'left' | 'right') =>
  align === 'left' ? text.padEnd(width) : text.padStart(width)

/** `text` cut to `width` characters (code points), marking the cut with `…`. */
function shorten(text: string, width: number): string {
  const chars = [...text]
  return chars.length <= width ? text : `${chars.slice(0, Math.max(1, width - 1)).join('')}…`
}

const lengthOf = (text: string) => [...text].length

/**
 * The circuits as an aligned text table, one line per circuit, names escaped (see `printable`)
 * and states coloured through `style`. Padding is measured on the plain text, colour added after.
 */
export function renderTable(rows: readonly CircuitRow[], options: TableOptions): string {
  const { style, now } = options
  if (rows.length === 0) return `${style.dim('No circuits.')}\n`
  const metrics = METRICS.filter((column) => rows.some((row) => column.cell(row, now) !== null))
  const cells = rows.map((row) => metrics.map((column) => column.cell(row, now) ?? '-'))
  const widths = metrics.map((column, i) =>
    Math.max(column.title.length, ...cells.map((line) => lengthOf(line[i]!))),
  )
  const states = rows.map((row) => printable(row.state))
  const stateWidth = Math.max(5, ...states.map(lengthOf))
  let names = rows.map((row) => printable(row.name))
  const fixed = stateWidth + widths.reduce((sum, w) => sum + w + GAP.length, 0) + GAP.length
  if (options.width !== undefined) {
    const room = Math.max(MIN_NAME, options.width - fixed)
    names = names.map((name) => shorten(name, room))
  }
  const nameWidth = Math.max(4, ...names.map(lengthOf))
  const header = [pad('NAME', nameWidth, 'left'), pad('STATE', stateWidth, 'left')]
  header.push(...metrics.map((column, i) => pad(column.title, widths[i]!, column.align)))
  const lines = [style.bold(header.join(GAP).trimEnd())]
  rows.forEach((row, r) => {
    const line = [
      pad(names[r]!, nameWidth, 'left'),
      style.state(row.state, pad(states[r]!, stateWidth, 'left')),
    ]
    line.push(...metrics.map((column, i) => pad(cells[r]![i]!, widths[i]!, column.align)))
    lines.push(line.join(GAP).trimEnd())
  })
  return `${lines.join('\n')}\n`
}
