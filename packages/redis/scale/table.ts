// The Markdown row of one measured point (the table of docs/redis-at-scale.md).
import type { Measured } from './point.ts'

export const TABLE_HEAD: string = [
  '| instances | breakers each (busy) | sync / poll (ms) | flushes/s expected → measured | reads/s expected → measured | EVALSHA/s | PING/s | Redis CPU (workers) | memory per breaker (fleet, window) | propagation p50 / p99 (ms) | load avg |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
].join('\n')

const n = (x: number | undefined) => Math.round(x ?? 0).toLocaleString('en-US')

/** Flushes and reads per second the settings call for (the model by construction). */
export function expected(m: Measured): { flushes: number; reads: number } {
  return {
    flushes: (m.instances * m.busy * 1_000) / m.syncInterval,
    reads: (m.instances * (m.breakers - m.busy) * 1_000) / m.pollInterval,
  }
}

/** Measured flushes (each RECORD script runs one HGETALL) and other scripts (reads, mostly). */
export function measuredScripts(m: Measured): { flushes: number; reads: number; evalsha: number } {
  const evalsha = m.window.perSecond.evalsha ?? 0
  const flushes = m.window.perSecond.hgetall ?? 0
  return { flushes, reads: evalsha - flushes, evalsha }
}

/** Bytes (MEMORY USAGE) of the fleet listing per breaker held, and of a busy breaker's window. */
export function bytesPerBreaker(m: Measured): { fleet: number; window: number } {
  const bytes = (kinds: Measured['keys']['registered'], prefix: string) =>
    Object.entries(kinds)
      .filter(([kind]) => kind.startsWith(prefix))
      .reduce((sum, [, v]) => sum + v.bytes, 0)
  return {
    fleet: bytes(m.keys.registered, 'fleet:') / (m.instances * m.breakers),
    window: bytes(m.keys.loaded, 'w') / m.busy,
  }
}

/** `keptUp`: false marks the row "not kept up" (the fleet sent less than its settings call for). */
export function rowOf(m: Measured, keptUp = true): string {
  const e = expected(m)
  const s = measuredScripts(m)
  const bytes = bytesPerBreaker(m)
  const p = m.propagation
  const missed = p.missed > 0 ? ` (${p.missed} missed)` : ''
  const downs = m.downs > 0 ? ` (${m.downs} store outages)` : ''
  return [
    '',
    keptUp ? m.instances : `${m.instances} (not kept up)`,
    `${n(m.breakers)} (${m.busy})`,
    `${m.syncInterval} / ${m.pollInterval}`,
    `${n(e.flushes)} → ${n(s.flushes)}${downs}`,
    `${n(e.reads)} → ${n(s.reads)}`,
    n(s.evalsha),
    n(m.window.perSecond.ping),
    `${(m.window.cpu * 100).toFixed(0)} % (${(m.workerCpu * 100).toFixed(0)} %)`,
    `${n(bytes.fleet)} B, ${n(bytes.window)} B`,
    `${p.p50.toFixed(1)} / ${p.p99.toFixed(1)}${missed}`,
    `${m.load[0].toFixed(0)}–${m.load[1].toFixed(0)}`,
    '',
  ]
    .join(' | ')
    .trim()
}
