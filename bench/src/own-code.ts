/**
 * The CPU time a request spends in Tripswitch's own functions, read from a CPU profile
 * (`node:inspector`) of many requests: the samples whose innermost frame is a function of a
 * `@tripswitch` package, in µs per request. Self time only: the builtins those functions call
 * (a Map lookup) and the framework code they cause to run (a hook runner, a listener on the
 * response) count elsewhere. So it is what the adapter's own code costs, which the paired
 * "added µs" cannot show under load, not all that adding the adapter costs. A bare app's row
 * reads 0, which checks the attribution.
 */
import { Session } from 'node:inspector/promises'

/** Microseconds between samples: fine enough for a cost of a few µs per request. */
const SAMPLING_US = 25

/** Where the workspace's packages are (script URLs of their code start with it). */
const PACKAGES = new URL('../../packages/', import.meta.url).href

/** A script of Tripswitch: a workspace package's, or an installed one. */
const isOurs = (url: string): boolean =>
  url.startsWith(PACKAGES) || url.includes('/node_modules/@tripswitch/')

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly url: string }
}

interface Profile {
  readonly nodes: readonly ProfileNode[]
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
}

/** µs per op spent in Tripswitch's own functions while `run(ops)` runs. */
export async function ownCodeUs(run: (ops: number) => Promise<void>, ops: number): Promise<number> {
  const session = new Session()
  session.connect()
  try {
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: SAMPLING_US })
    await session.post('Profiler.start')
    await run(ops)
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile }
    return ownMicroseconds(profile) / ops
  } finally {
    session.disconnect()
  }
}

/** Sampled µs whose innermost frame is Tripswitch code. */
function ownMicroseconds(profile: Profile): number {
  const ours = new Set(profile.nodes.filter((n) => isOurs(n.callFrame.url)).map((n) => n.id))
  let us = 0
  // timeDeltas[i] is the time from the previous sample to sample i, charged to sample i.
  for (let i = 0; i < profile.samples.length; i++)
    if (ours.has(profile.samples[i]!)) us += profile.timeDeltas[i] ?? 0
  return us
}
