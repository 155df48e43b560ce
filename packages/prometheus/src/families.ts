import { CircuitState } from '@tripswitch/core'
import type { CircuitTable } from './circuit-table.ts'
import { type ExtraLabels, extraLabels, NAME_ONLY } from './exposition.ts'

/** Receives one series of a circuit: its labels beside `name`, and its value. */
export type EmitSeries = (extra: ExtraLabels, value: number) => void

/** One metric family exported per breaker registry, made from each circuit's row of a table. */
export interface FamilySpec {
  /** Name after the prefix, e.g. `circuit_state`. */
  readonly suffix: string
  readonly help: string
  readonly type: 'gauge' | 'counter'
  /** Every label of the family, `name` first. */
  readonly labelNames: readonly string[]
  /** Emits the series of circuit `i` of `table`. */
  readonly series: (table: CircuitTable, i: number, emit: EmitSeries) => void
  /** How many series {@link series} emits for circuit `i`. */
  readonly lines: (table: CircuitTable, i: number) => number
}

const STATES = Object.values(CircuitState)
const STATE_LABELS = STATES.map((state) => extraLabels({ state }))

// Kinds of calls_total, each reading a field of snapshot().totals (a column of the table).
const SUCCESSFUL = extraLabels({ kind: 'successful' })
const FAILED = extraLabels({ kind: 'failed' })
const IGNORED = extraLabels({ kind: 'ignored' })
const NOT_PERMITTED = extraLabels({ kind: 'not_permitted' })
const TIMEOUT = extraLabels({ kind: 'timeout' })
const BUSY = extraLabels({ kind: 'busy' })

// Edges come from core's states (at most 25 of them): their labels are made once per process.
const EDGES = new Map<string, ExtraLabels>()

function edgeLabels(edge: string): ExtraLabels {
  let labels = EDGES.get(edge)
  if (labels === undefined) {
    const [from = '', to = ''] = edge.split('->')
    labels = extraLabels({ from, to })
    if (EDGES.size < 100) EDGES.set(edge, labels)
  }
  return labels
}

function oneSeries(
  suffix: string,
  help: string,
  series: (table: CircuitTable, i: number, emit: EmitSeries) => void,
): FamilySpec {
  return { suffix, help, type: 'gauge', labelNames: ['name'], series, lines: () => 1 }
}

/** The families of every registration, in the order they are registered. */
export const FAMILIES: readonly FamilySpec[] = [
  {
    suffix: 'circuit_state',
    help: 'Circuit state, one series per state: 1 for the current one, 0 for the others.',
    type: 'gauge',
    labelNames: ['name', 'state'],
    series: (table, i, emit) => {
      const current = table.states[i]
      for (let k = 0; k < STATES.length; k++) emit(STATE_LABELS[k]!, STATES[k] === current ? 1 : 0)
    },
    lines: () => STATES.length,
  },
  {
    suffix: 'calls_total',
    help: 'Calls by how they ended: successful, failed (timeouts included), ignored, not_permitted (refused by the open circuit), timeout, busy (past maxConcurrent).',
    type: 'counter',
    labelNames: ['name', 'kind'],
    series: (table, i, emit) => {
      emit(SUCCESSFUL, table.successful[i]!)
      emit(FAILED, table.failed[i]!)
      emit(IGNORED, table.ignored[i]!)
      emit(NOT_PERMITTED, table.notPermitted[i]!)
      emit(TIMEOUT, table.timeouts[i]!)
      emit(BUSY, table.busy[i]!)
    },
    lines: () => 6,
  },
  oneSeries(
    'failure_rate',
    'Failures / calls in the current window (0 to 1; 0 without calls).',
    (table, i, emit) => emit(NAME_ONLY, table.failureRate[i]!),
  ),
  oneSeries(
    'slow_call_rate',
    'Slow calls / calls in the current window (0 to 1; 0 without calls).',
    (table, i, emit) => emit(NAME_ONLY, table.slowCallRate[i]!),
  ),
  oneSeries('buffered_calls', 'Calls counted in the current window.', (table, i, emit) =>
    emit(NAME_ONLY, table.calls[i]!),
  ),
  {
    suffix: 'transitions_total',
    help: 'State transitions by edge.',
    type: 'counter',
    labelNames: ['name', 'from', 'to'],
    // Only the edges a breaker has taken have a series.
    series: (table, i, emit) => {
      for (let k = table.edgeStart[i]!; k < table.edgeStart[i + 1]!; k++)
        emit(edgeLabels(table.edges[k]!), table.edgeCounts[k]!)
    },
    lines: (table, i) => table.edgeStart[i + 1]! - table.edgeStart[i]!,
  },
]
