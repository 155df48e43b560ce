import { type BenchConfig, median, pairedRatio, quantile, type Samples } from './harness.ts'

/** A pass/fail line against one of the bench's targets. */
export interface TargetCheck {
  readonly label: string
  readonly actual: string
  readonly pass: boolean
}

/** What a scenario hands back to the index: printable tables and the targets it checks. */
export interface ScenarioReport {
  readonly tables: readonly Table[]
  readonly checks: readonly TargetCheck[]
}

export interface Table {
  readonly title: string
  readonly head: readonly string[]
  readonly rows: readonly (readonly string[])[]
  readonly note?: string
}

/** A scenario: a group of measurements that prints its own tables. */
export interface Scenario {
  readonly id: string
  readonly title: string
  readonly run: (config: BenchConfig) => Promise<ScenarioReport>
}

export const formatNs = (ns: number): string => (ns >= 100 ? ns.toFixed(0) : ns.toFixed(1))
export const formatUs = (ns: number): string => (ns / 1000).toFixed(3)
export const formatRatio = (ratio: number): string => `${ratio.toFixed(2)}×`
export const formatInt = (n: number): string => Math.round(n).toLocaleString('en-US')

/**
 * The standard timing table: median per op, spread of the rounds (p10..p90) and the paired
 * ratio against `baseline` (the first sample set unless told otherwise).
 */
export function timingTable(
  title: string,
  samples: readonly Samples[],
  unit: 'ns' | 'µs',
  baseline: Samples = samples[0]!,
  note?: string,
): Table {
  const format = unit === 'ns' ? formatNs : formatUs
  const rows = samples.map((s) => [
    s.name,
    format(median(s.nsPerOp)),
    `${format(quantile(s.nsPerOp, 0.1))} – ${format(quantile(s.nsPerOp, 0.9))}`,
    s === baseline ? '1.00×' : formatRatio(pairedRatio(s, baseline)),
  ])
  const head = ['contender', `median ${unit}/op`, `p10 – p90 ${unit}/op`, `vs ${baseline.name}`]
  return note === undefined ? { title, head, rows } : { title, head, rows, note }
}

/** Renders a table as aligned plain text (first column left-aligned, the rest right-aligned). */
export function renderTable(table: Table): string {
  const all = [table.head, ...table.rows]
  const widths = table.head.map((_, c) => Math.max(...all.map((row) => (row[c] ?? '').length)))
  const line = (row: readonly string[]) =>
    row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')
  const rule = widths.map((w) => '─'.repeat(w)).join('  ')
  const out = [`\n${table.title}`, line(table.head), rule, ...table.rows.map(line)]
  if (table.note !== undefined) out.push(table.note)
  return out.join('\n')
}

/** Renders the targets as one PASS/FAIL line each. */
export function renderChecks(checks: readonly TargetCheck[]): string {
  const lines = checks.map((c) => `  ${c.pass ? 'PASS' : 'FAIL'}  ${c.label}: ${c.actual}`)
  return ['\nTargets (ratios are against the same-run floor, paired by round)', ...lines].join('\n')
}
