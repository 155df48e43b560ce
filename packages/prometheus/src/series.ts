import type { CircuitSnapshot } from '@tripswitch/core'
import { CALL_KINDS, type CircuitLabels, STATES } from './labels.ts'
import type { Sample } from './scrape.ts'

/** One circuit of a scrape: its snapshot and its label sets. */
export interface Circuit {
  readonly snapshot: CircuitSnapshot
  readonly labels: CircuitLabels
}

/** `circuit_state{name,state}`: one series per state, 1 for the current one. */
export function stateSeries(circuits: readonly Circuit[]): Sample[] {
  const out: Sample[] = []
  for (const { snapshot, labels } of circuits)
    for (const s of STATES)
      out.push({ labels: labels.states[s]!, value: s === snapshot.state ? 1 : 0 })
  return out
}

/** `calls_total{name,kind}`, from the totals a breaker keeps since its creation. */
export function callSeries(circuits: readonly Circuit[]): Sample[] {
  const out: Sample[] = []
  for (const { snapshot, labels } of circuits)
    for (const [kind, field] of CALL_KINDS)
      out.push({ labels: labels.kinds[kind]!, value: snapshot.totals[field] })
  return out
}

/** `transitions_total{name,from,to}`: the edges a breaker has taken (no series for the others). */
export function transitionSeries(circuits: readonly Circuit[]): Sample[] {
  const out: Sample[] = []
  for (const { snapshot, labels } of circuits)
    for (const [edge, value] of Object.entries(snapshot.totals.transitions))
      out.push({ labels: labels.edge(edge), value })
  return out
}

/** A gauge with one series per circuit, reading one number of its snapshot. */
export function perCircuit(
  read: (snapshot: CircuitSnapshot) => number,
): (circuits: readonly Circuit[]) => Sample[] {
  return (circuits) => circuits.map((c) => ({ labels: c.labels.circuit, value: read(c.snapshot) }))
}
