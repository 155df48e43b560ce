/**
 * Bytes allocated per operation, per contender: a figure that does not swing with the load of
 * a shared machine the way time does.
 *
 * Counted with `v8.GCProfiler`, as metrics-scrape.ts does: the heap's growth across a round plus
 * what every garbage collection during the round freed, so collections in the middle of a
 * round do not hide what it allocated. Rounds are interleaved like the timed ones (rotating
 * order, a full GC before each).
 */
import { GCProfiler } from 'node:v8'
import { type Contender, collectGarbage } from './harness.ts'

/** Bytes allocated per op by one contender, one sample per round. */
export interface AllocationSamples {
  readonly name: string
  readonly bytesPerOp: readonly number[]
}

const usedHeap = (): number => process.memoryUsage().heapUsed

/** Bytes one `run(ops)` allocates, divided by `ops`. */
async function bytesPerOp(contender: Contender, ops: number): Promise<number> {
  collectGarbage()
  const profiler = new GCProfiler()
  const before = usedHeap()
  profiler.start()
  await contender.run(ops)
  const grown = usedHeap() - before
  const freed = (profiler.stop()?.statistics ?? []).reduce(
    (sum, gc) =>
      sum + gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize,
    0,
  )
  return (grown + freed) / ops
}

/**
 * Runs every contender `ops` times per round for `rounds` rounds (rotating order, after one
 * unmeasured round each) and returns the bytes allocated per op in each round.
 */
export async function measureAllocation(
  contenders: readonly Contender[],
  rounds: number,
  ops: number,
): Promise<AllocationSamples[]> {
  for (const contender of contenders) await contender.run(ops)
  const samples = contenders.map(() => [] as number[])
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const index = (round + k) % contenders.length
      samples[index]!.push(await bytesPerOp(contenders[index]!, ops))
    }
  }
  return contenders.map((contender, i) => ({ name: contender.name, bytesPerOp: samples[i]! }))
}
