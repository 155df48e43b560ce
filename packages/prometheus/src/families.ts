import { type CircuitSnapshot, CircuitState } from '@tripswitch/core'
import { type ExtraLabels, extraLabels, NAME_ONLY } from './exposition.ts'

/** Receives one series of a circuit: its labels beside `name`, and its value. */
export type EmitSeries = (extra: ExtraLabels, value: number) => void

/** One metric family exported per breaker registry, made from each circuit's snapshot. */
export interface FamilySpec {
  /** Name after the prefix, e.g. `circuit_state`. */
  readonly suffix: string
  readonly help: string
  readonly type: 'gauge' | 'counter'
  /** Every label of the family, `name` first. */
  readonly labelNames: readonly string[]
  /** Emits the series of one circuit. */
  readonly series: (snapshot: CircuitSnapshot, emit: EmitSeries) => void
}

const STATES = Object.values(CircuitState).map((state) => [state, extraLabels({ state })] as const)

/** Kinds of `calls_total`, each with the field of `snapshot().totals` it reads. */
const CALL_KINDS = (
  [
    ['successful', 'successful'],
    ['failed', 'failed'],
    ['ignored', 'ignored'],
    ['not_permitted', 'notPermitted'],
    ['timeout', 'timeouts'],
    ['busy', 'busy'],
  ] as const
).map(([kind, field]) => [extraLabels({ kind }), field] as const)

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
  read: (snapshot: CircuitSnapshot) => number,
): FamilySpec {
  return {
    suffix,
    help,
    type: 'gauge',
    labelNames: ['name'],
    series: (snapshot, emit) => emit(NAME_ONLY, read(snapshot)),
  }
}

/** The families of every registration, in the order they are registered. */
export const FAMILIES: readonly FamilySpec[] = [
  {
    suffix: 'circuit_state',
    help: 'Circuit state, one series per state: 1 for the current one, 0 for the others.',
    type: 'gauge',
    labelNames: ['name', 'state'],
    series: (snapshot, emit) => {
      for (const [state, extra] of STATES) emit(extra, state === snapshot.state ? 1 : 0)
    },
  },
  {
    suffix: 'calls_total',
    help: 'Calls by how they ended: successful, failed (timeouts included), ignored, not_permitted (refused by the open circuit), timeout, busy (past maxConcurrent).',
    type: 'counter',
    labelNames: ['name', 'kind'],
    series: (snapshot, emit) => {
      for (const [extra, field] of CALL_KINDS) emit(extra, snapshot.totals[field])
    },
  },
  oneSeries(
    'failure_rate',
    'Failures / calls in the current window (0 to 1; 0 without calls).',
    (s) => s.failureRate,
  ),
  oneSeries(
    'slow_call_rate',
    'Slow calls / calls in the current window (0 to 1; 0 without calls).',
    (s) => s.slowCallRate,
  ),
  oneSeries('buffered_calls', 'Calls counted in the current window.', (s) => s.calls),
  {
    suffix: 'transitions_total',
    help: 'State transitions by edge.',
    type: 'counter',
    labelNames: ['name', 'from', 'to'],
    // Only the edges a breaker has taken have a series.
    series: (snapshot, emit) => {
      for (const edge in snapshot.totals.transitions)
        emit(edgeLabels(edge), snapshot.totals.transitions[edge]!)
    },
  },
]
