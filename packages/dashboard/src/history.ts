import type { CircuitSnapshot } from '@tripswitch/core'
import type { HistorySample } from './views.ts'

/** How far back the history of each circuit goes. */
export const HISTORY_MS: number = 5 * 60_000
// A bound for tiny sampleMs values: 5 minutes at 1 ms would be 300,000 samples per circuit.
const MAX_SAMPLES = 600

interface Baseline {
  calls: number
  at: number
  rate: number
}

/**
 * Calls per second of each circuit, from the growth of `totals.calls` (which never resets).
 * A rate is recomputed at most once per `minGapMs`, whoever asks (the stream's tick, an API
 * request): between two of them it keeps the last rate rather than dividing by a few ms.
 */
export class CallRates {
  private readonly baselines = new Map<string, Baseline>()

  constructor(private readonly minGapMs: number) {}

  /** The rate of `name`, whose `totals.calls` is `calls` at epoch ms `now`; 0 at first. */
  rate(name: string, calls: number, now: number): number {
    const last = this.baselines.get(name)
    if (last === undefined) {
      this.baselines.set(name, { calls, at: now, rate: 0 })
      return 0
    }
    const elapsed = now - last.at
    if (elapsed >= this.minGapMs) {
      last.rate = perSecond(calls - last.calls, elapsed)
      last.calls = calls
      last.at = now
    }
    return last.rate
  }

  /** Forgets the circuits not in `names` (dropped from the registry). */
  keepOnly(names: ReadonlySet<string>): void {
    for (const name of this.baselines.keys()) if (!names.has(name)) this.baselines.delete(name)
  }
}

/** `delta` calls over `elapsedMs`, per second, rounded to 2 decimals; never negative. */
export function perSecond(delta: number, elapsedMs: number): number {
  if (elapsedMs <= 0 || delta <= 0) return 0
  return Math.round((delta * 100_000) / elapsedMs) / 100
}

interface Series {
  readonly samples: HistorySample[]
  lastCalls: number
  lastAt: number
}

/** The last 5 minutes of samples of every circuit, one per `sample()` call. */
export class History {
  private readonly series = new Map<string, Series>()
  private readonly capacity: number

  constructor(sampleMs: number) {
    this.capacity = Math.min(MAX_SAMPLES, Math.max(1, Math.ceil(HISTORY_MS / sampleMs)))
  }

  /** Takes one sample of each circuit at epoch ms `now`; forgets circuits no longer given. */
  sample(snapshots: Iterable<CircuitSnapshot>, now: number): void {
    const seen = new Set<string>()
    for (const snapshot of snapshots) {
      seen.add(snapshot.name)
      this.add(snapshot, now)
    }
    for (const name of this.series.keys()) if (!seen.has(name)) this.series.delete(name)
  }

  /** The samples of `name`, oldest first (a copy). */
  of(name: string): HistorySample[] {
    return [...(this.series.get(name)?.samples ?? [])]
  }

  private add(snapshot: CircuitSnapshot, now: number): void {
    const calls = snapshot.totals.calls
    let series = this.series.get(snapshot.name)
    if (series === undefined) {
      series = { samples: [], lastCalls: calls, lastAt: now }
      this.series.set(snapshot.name, series)
    }
    const callsPerSecond = perSecond(calls - series.lastCalls, now - series.lastAt)
    series.lastCalls = calls
    series.lastAt = now
    const { failureRate, slowCallRate } = snapshot
    series.samples.push({ at: now, failureRate, slowCallRate, callsPerSecond })
    if (series.samples.length > this.capacity) series.samples.shift()
  }
}
