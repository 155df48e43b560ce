/**
 * Measurement harness: one process, interleaved rounds, medians.
 *
 * Each contender supplies its own loop (`run(ops)`), so that the call it measures sits at a
 * monomorphic call site of its own rather than behind a shared, megamorphic `op()` indirection.
 * In every round each contender runs once for the same op count, in an order that rotates from
 * round to round, after a forced young-generation GC (a full GC once, before the warm-up).
 * Per-op time is recorded per round; the report uses medians.
 *
 * Why not a full GC before every round: a full mark-compact discards optimized code that
 * embeds objects it found dead (V8's "weak objects" deoptimization). A contender whose code
 * embeds such objects (a breaker's timed-call path does) then ran every round partly in the
 * interpreter, and recompiled on V8's compiler threads, which a CPU-time clock charged to it
 * too: 2.8 µs per timed call against 0.31 µs after a young-generation GC, on the same run.
 * A full GC also leaves concurrent sweeping running into the next round. A scavenge empties
 * what the previous contender left in the young generation and does neither.
 */

/** One thing being measured: runs its operation `ops` times, awaiting each. */
export interface Contender {
  readonly name: string
  readonly run: (ops: number) => Promise<void>
}

/** Per-op times of one contender, one sample per round, in nanoseconds. */
export interface Samples {
  readonly name: string
  readonly nsPerOp: readonly number[]
}

export interface RoundsConfig {
  /** Measured rounds. */
  readonly rounds: number
  /** Untimed rounds run first (JIT warm-up). */
  readonly warmupRounds: number
  /** Operations per contender per round. */
  readonly ops: number
  /**
   * What the rounds are timed by: `wall` (the default) for anything that waits on I/O or another
   * process; in-process loops pass {@link inProcessClock}().
   */
  readonly clock?: Clock
  /**
   * The GC forced before each round: `young` (the default) empties the young generation and
   * keeps optimized code; `full` also collects the old generation, for contenders that leave
   * much there (Express leaves a hidden class per request: a full GC landing in a round at
   * random charges it tens of ms), at the price of V8 discarding some optimized code.
   */
  readonly gc?: 'young' | 'full'
}

/**
 * What a round's time is read from. `cpu`: this process's CPU time (`process.cpuUsage()`, user +
 * system, all threads), which does not grow while other processes hold the cores, so it is far
 * steadier than wall time on a shared machine; only right for loops that never wait on I/O.
 * `wall`: `process.hrtime.bigint()`.
 */
export type Clock = 'cpu' | 'wall'

let inProcess: Clock = 'cpu'

/** Sets the clock of in-process loops for the run (`--clock`; CPU time unless told). */
export function useClock(clock: Clock): void {
  inProcess = clock
}

/** The clock for loops that never wait on I/O: pass it as {@link RoundsConfig.clock}. */
export const inProcessClock = (): Clock => inProcess

/** Global settings of a run, parsed from the command line. */
export interface BenchConfig {
  readonly rounds: number
  readonly warmupRounds: number
  /** Multiplies every scenario's op count (use < 1 for a quick run). */
  readonly scale: number
  readonly http: boolean
}

/** Forces a full GC. The benchmark needs `--expose-gc`; without it, it refuses to run. */
export function collectGarbage(): void {
  exposedGc()()
}

/** Forces a young-generation GC (a scavenge): empties the nursery, keeps optimized code. */
export function collectYoungGarbage(): void {
  exposedGc()({ type: 'minor' })
}

function exposedGc(): NodeJS.GCFunction {
  const gc = globalThis.gc
  if (gc === undefined) throw new Error('global.gc is missing: run node with --expose-gc')
  return gc
}

/** Runs every contender for `ops` operations per round, interleaved, and returns per-op times. */
export async function measure(
  contenders: readonly Contender[],
  config: RoundsConfig,
): Promise<Samples[]> {
  collectGarbage()
  for (let w = 0; w < config.warmupRounds; w++) {
    for (const contender of contenders) await contender.run(config.ops)
  }
  const clock = config.clock ?? 'wall'
  const samples = contenders.map(() => [] as number[])
  for (let round = 0; round < config.rounds; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const index = (round + k) % contenders.length
      const contender = contenders[index]!
      if (config.gc === 'full') collectGarbage()
      else collectYoungGarbage()
      const cpu = process.cpuUsage()
      const start = process.hrtime.bigint()
      await contender.run(config.ops)
      const wall = Number(process.hrtime.bigint() - start)
      const used = process.cpuUsage(cpu)
      const elapsed = clock === 'cpu' ? (used.user + used.system) * 1000 : wall
      samples[index]!.push(elapsed / config.ops)
    }
  }
  return contenders.map((contender, i) => ({ name: contender.name, nsPerOp: samples[i]! }))
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing')
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Value at quantile `q` (0..1) of a non-empty list, by nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))]!
}

/** Median over rounds of `samples / baseline`, paired round by round (robust to drift). */
export function pairedRatio(samples: Samples, baseline: Samples): number {
  return median(samples.nsPerOp.map((ns, round) => ns / baseline.nsPerOp[round]!))
}

/** Op count for a scenario after applying the global scale (kept even, at least 100). */
export function scaledOps(ops: number, config: BenchConfig): number {
  return Math.max(100, Math.round((ops * config.scale) / 2) * 2)
}
