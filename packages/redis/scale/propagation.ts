// Trip propagation: a fresh breaker per trial, watched by every instance, forced open through
// one store (the coordinator's); each instance reports when its breaker saw `open`.
import type { RedisStore } from '../src/index.ts'
import type { Fleet } from './fleet-process.ts'

/** Latencies of every instance in every trial, in ms, and the instances that never saw a trip. */
export interface Propagation {
  readonly trials: number
  /** (seen - tripped) per instance per trial, sorted. */
  readonly latencies: readonly number[]
  readonly missed: number
  /** Time the tripping script took (coordinator's round trip), per trial. */
  readonly tripMs: readonly number[]
}

const wallNow = () => performance.timeOrigin + performance.now()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Runs `trials` trips named `<tag>-t<k>`; an instance that sees nothing in 5 s counts as missed. */
export async function measurePropagation(
  fleet: Fleet,
  tripper: RedisStore,
  tag: string,
  trials: number,
): Promise<Propagation> {
  const latencies: number[] = []
  const tripMs: number[] = []
  let missed = 0
  for (let k = 0; k < trials; k++) {
    const name = `${tag}-t${k}`
    const watching = fleet.collect(
      (m) => (m.type === 'watching' && m.name === name ? true : undefined),
      10_000,
    )
    fleet.tell({ type: 'watch', name })
    await watching
    // Let each instance's first read of the new breaker come back before the trip.
    await sleep(100)
    const seen = fleet.collect(
      (m) => (m.type === 'seen' && m.name === name ? m.at : undefined),
      5_000,
    )
    const tripped = wallNow()
    await tripper.transition(name, {
      fromGeneration: null,
      to: 'open',
      openForMs: 600_000,
      openings: 1,
    })
    tripMs.push(wallNow() - tripped)
    for (const at of await seen) {
      if (at === undefined) missed++
      else latencies.push(at - tripped)
    }
    fleet.tell({ type: 'unwatch', name })
    await sleep(50)
  }
  latencies.sort((a, b) => a - b)
  return { trials, latencies, missed, tripMs }
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}
