import type { Report } from './report.ts'
import type { TimelineEntry } from './timeline.ts'

const ms = (value: number) => `${value.toFixed(1)} ms`

/** Who an entry comes from, padded so the columns line up. */
function source(entry: TimelineEntry): string {
  if ('worker' in entry) return `worker ${entry.worker}`.padEnd(11)
  return (entry.type === 'published' ? 'redis' : 'coordinator').padEnd(11)
}

/** The line for `entry`, or null for the routine ones (successes, refusals) that are counted. */
function describe(entry: TimelineEntry): string | null {
  switch (entry.type) {
    case 'note':
      return entry.text
    case 'published':
      return `published ${entry.state} (generation ${entry.generation})`
    case 'state':
      return `${entry.from} -> ${entry.to}`
    case 'storeError':
      return `store error: ${entry.message}`
    case 'ready':
      return 'ready'
    case 'call':
      if (entry.probe)
        return `probe admitted, ${entry.outcome === 'success' ? 'succeeded' : 'failed'} in ${ms(entry.durationMs)}`
      return entry.outcome === 'failure' ? 'call failed (upstream down)' : null
  }
}

/** The timeline: one line per notable entry, in time order, in ms since the start. */
export function formatTimeline(entries: readonly TimelineEntry[], startedAt: number): string[] {
  const lines: string[] = []
  for (const entry of [...entries].sort((a, b) => a.at - b.at)) {
    const text = describe(entry)
    if (text === null) continue
    const at = `+${(entry.at - startedAt).toFixed(1)}`.padStart(9)
    lines.push(`${at} ms  ${source(entry)}  ${text}`)
  }
  return lines
}

/** The summary under the timeline. */
export function formatReport(report: Report): string[] {
  const lines = ['', 'transition            seen by  first        last         spread']
  for (const t of report.transitions)
    lines.push(
      `${`${t.from} -> ${t.to}`.padEnd(22)}${`${t.workers}/${report.workers}`.padEnd(9)}` +
        `${`+${t.firstMs.toFixed(1)}`.padEnd(13)}${`+${t.lastMs.toFixed(1)}`.padEnd(13)}${ms(t.spreadMs)}`,
    )
  const published = Object.entries(report.published)
    .map(([state, count]) => `${state} x${count}`)
    .join(', ')
  const probes = report.probes
    .map((p) => `worker ${p.worker} at +${p.atMs.toFixed(1)} ms (${p.ok ? 'ok' : 'failed'})`)
    .join(', ')
  lines.push(
    '',
    `transitions published by Redis:        ${published}`,
    `probes admitted fleet-wide:            ${report.probes.length}${probes ? `: ${probes}` : ''}`,
    `calls refused while the probe ran:     ${report.refusedWhileHalfOpen}`,
    `calls sent between trip and probe:     ${report.callsSentWhileOpen}`,
    `upstream hits while open:              ${report.upstreamHitsWhileOpen}`,
    `store errors (Redis slow or away):     ${report.storeErrors}`,
    '',
    'worker  succeeded  failed  refused  failures before open',
  )
  for (const w of report.perWorker)
    lines.push(
      `${String(w.worker).padEnd(8)}${String(w.succeeded).padEnd(11)}${String(w.failed).padEnd(8)}` +
        `${String(w.refused).padEnd(9)}${w.failuresBeforeOpen}`,
    )
  return lines
}
