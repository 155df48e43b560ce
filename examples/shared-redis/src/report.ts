import type { CircuitState } from '@tripswitch/core'
import { entriesOf, type TimelineEntry } from './timeline.ts'

/** When the workers saw one edge: the first and the last of them, relative to the start. */
export interface TransitionSpread {
  readonly from: CircuitState
  readonly to: CircuitState
  /** Workers that saw it. */
  readonly workers: number
  readonly firstMs: number
  readonly lastMs: number
  /** lastMs - firstMs: how long the fleet disagreed about the state. */
  readonly spreadMs: number
}

/** Per-worker call counts. */
export interface WorkerTotals {
  readonly worker: number
  readonly succeeded: number
  readonly failed: number
  readonly refused: number
  /** Failed calls this worker made before it saw the circuit open. */
  readonly failuresBeforeOpen: number
}

/** What the run showed; main prints it, the test asserts on it. */
export interface Report {
  readonly workers: number
  readonly transitions: readonly TransitionSpread[]
  /** Transitions Redis published, by target state (each edge should be published once). */
  readonly published: Readonly<Partial<Record<CircuitState, number>>>
  /** Half-open probes admitted fleet-wide (halfOpenMaxCalls is 1). */
  readonly probes: readonly { worker: number; atMs: number; durationMs: number; ok: boolean }[]
  /** Calls refused by a worker whose breaker was half_open (the probe was running elsewhere). */
  readonly refusedWhileHalfOpen: number
  /** Calls the workers sent between the first open report and the probe. */
  readonly callsSentWhileOpen: number
  /** Requests the upstream received in the same interval. */
  readonly upstreamHitsWhileOpen: number
  /** Times a worker's store answered from its local fallback (Redis slow or away). */
  readonly storeErrors: number
  readonly perWorker: readonly WorkerTotals[]
}

const EDGES: readonly (readonly [CircuitState, CircuitState])[] = [
  ['closed', 'open'],
  ['open', 'half_open'],
  ['half_open', 'closed'],
]

function spreadOf(
  entries: readonly TimelineEntry[],
  startedAt: number,
  [from, to]: readonly [CircuitState, CircuitState],
): TransitionSpread {
  const firstSeen = new Map<number, number>()
  for (const e of entriesOf(entries, 'state'))
    if (e.from === from && e.to === to && !firstSeen.has(e.worker)) firstSeen.set(e.worker, e.at)
  const times = [...firstSeen.values()]
  const first = times.length > 0 ? Math.min(...times) - startedAt : Number.NaN
  const last = times.length > 0 ? Math.max(...times) - startedAt : Number.NaN
  return { from, to, workers: times.length, firstMs: first, lastMs: last, spreadMs: last - first }
}

function totalsOf(entries: readonly TimelineEntry[], worker: number): WorkerTotals {
  const calls = entriesOf(entries, 'call').filter((e) => e.worker === worker)
  const openedAt =
    entriesOf(entries, 'state').find((e) => e.worker === worker && e.to === 'open')?.at ??
    Number.POSITIVE_INFINITY
  const count = (outcome: string) => calls.filter((c) => c.outcome === outcome).length
  return {
    worker,
    succeeded: count('success'),
    failed: count('failure'),
    refused: count('refused'),
    failuresBeforeOpen: calls.filter((c) => c.outcome === 'failure' && c.at < openedAt).length,
  }
}

/** Calls refused while the refusing worker's own breaker was half_open. */
function refusedWhileHalfOpen(entries: readonly TimelineEntry[]): number {
  const state = new Map<number, CircuitState>()
  let refused = 0
  const ordered = [...entries].sort((a, b) => a.at - b.at)
  for (const e of ordered) {
    if (e.type === 'state') state.set(e.worker, e.to)
    if (e.type === 'call' && e.outcome === 'refused' && state.get(e.worker) === 'half_open')
      refused++
  }
  return refused
}

/** Summarises a finished run: entries from every process plus the upstream's hit times. */
export function summarize(
  entries: readonly TimelineEntry[],
  startedAt: number,
  workers: number,
  upstreamHits: readonly number[],
): Report {
  const calls = entriesOf(entries, 'call')
  const probes = calls.filter((c) => c.probe)
  const firstOpen = Math.min(
    ...entriesOf(entries, 'state')
      .filter((e) => e.to === 'open')
      .map((e) => e.at),
  )
  const probeAt = probes[0]?.at ?? Number.POSITIVE_INFINITY
  const whileOpen = (at: number) => at >= firstOpen && at < probeAt
  const published: Partial<Record<CircuitState, number>> = {}
  for (const p of entriesOf(entries, 'published'))
    published[p.state] = (published[p.state] ?? 0) + 1
  return {
    workers,
    transitions: EDGES.map((edge) => spreadOf(entries, startedAt, edge)),
    published,
    probes: probes.map((p) => ({
      worker: p.worker,
      atMs: p.at - startedAt,
      durationMs: p.durationMs,
      ok: p.outcome === 'success',
    })),
    refusedWhileHalfOpen: refusedWhileHalfOpen(entries),
    callsSentWhileOpen: calls.filter((c) => c.outcome !== 'refused' && !c.probe && whileOpen(c.at))
      .length,
    upstreamHitsWhileOpen: upstreamHits.filter(whileOpen).length,
    storeErrors: entriesOf(entries, 'storeError').length,
    perWorker: Array.from({ length: workers }, (_, i) => totalsOf(entries, i + 1)),
  }
}

/** What a correct run looks like; each broken promise is one message (empty: all kept). */
export function problemsWith(report: Report): string[] {
  const problems: string[] = []
  for (const t of report.transitions)
    if (t.workers !== report.workers)
      problems.push(`${t.workers} of ${report.workers} workers saw ${t.from} -> ${t.to}`)
  for (const state of ['open', 'half_open', 'closed'] as const)
    if (report.published[state] !== 1)
      problems.push(`Redis published ${report.published[state] ?? 0} transitions to ${state}`)
  if (report.probes.length !== 1)
    problems.push(`${report.probes.length} probes were admitted fleet-wide, not 1`)
  if (report.upstreamHitsWhileOpen > 0)
    problems.push(`the upstream got ${report.upstreamHitsWhileOpen} requests while open`)
  return problems
}
