import { type CircuitSnapshot, CircuitState } from '@tripswitch/core'
import type { Sample } from './scrape.ts'

const STATES: readonly CircuitState[] = Object.values(CircuitState)

/** `circuit_state{name,state}`: one series per state, 1 for the current one. */
export function stateSeries(snapshots: readonly CircuitSnapshot[]): Sample[] {
  const out: Sample[] = []
  for (const { name, state } of snapshots)
    for (const s of STATES) out.push({ labels: { name, state: s }, value: s === state ? 1 : 0 })
  return out
}

/** Kinds of `calls_total`, each with the field of `snapshot().totals` it reads. */
const CALL_KINDS = [
  ['successful', 'successful'],
  ['failed', 'failed'],
  ['ignored', 'ignored'],
  ['not_permitted', 'notPermitted'],
  ['timeout', 'timeouts'],
  ['busy', 'busy'],
] as const

/** `calls_total{name,kind}`, from the totals a breaker keeps since its creation. */
export function callSeries(snapshots: readonly CircuitSnapshot[]): Sample[] {
  const out: Sample[] = []
  for (const { name, totals } of snapshots)
    for (const [kind, field] of CALL_KINDS)
      out.push({ labels: { name, kind }, value: totals[field] })
  return out
}

/** `transitions_total{name,from,to}`: the edges a breaker has taken (no series for the others). */
export function transitionSeries(snapshots: readonly CircuitSnapshot[]): Sample[] {
  const out: Sample[] = []
  for (const { name, totals } of snapshots)
    for (const [edge, value] of Object.entries(totals.transitions)) {
      const [from = '', to = ''] = edge.split('->')
      out.push({ labels: { name, from, to }, value })
    }
  return out
}

/** A gauge with one series per breaker, reading one number of its snapshot. */
export function perCircuit(
  read: (snapshot: CircuitSnapshot) => number,
): (snapshots: readonly CircuitSnapshot[]) => Sample[] {
  return (snapshots) => snapshots.map((s) => ({ labels: { name: s.name }, value: read(s) }))
}
