// One measured point of the fleet: N instances × B breakers (`busy` of them called), one
// syncInterval and pollInterval; Redis's commands, CPU and memory, and trip propagation.
import { loadavg } from 'node:os'
import type { Redis } from 'ioredis'
import type { RedisStore } from '../src/index.ts'
import { Fleet } from './fleet-process.ts'
import { measurePropagation, quantile } from './propagation.ts'
import {
  counters,
  type KeyMemory,
  keyMemory,
  type Memory,
  memory,
  type Rates,
  rates,
} from './redis-stats.ts'

/** The settings of one point. */
export interface Point {
  readonly instances: number
  readonly breakers: number
  readonly busy: number
  readonly syncInterval: number
  readonly pollInterval: number
  /** The workers' commandTimeout in ms (the store's default is 200). */
  readonly commandTimeout: number
  /** The workers' `nice -n` (0: the same priority as everything else on the host). */
  readonly nice: number
}

/** What was measured at one point. */
export interface Measured extends Point {
  readonly at: string
  readonly callEvery: number
  /** Host load average (1 min) at the start and the end of the point. */
  readonly load: readonly [number, number]
  /** Seconds from fork to every worker ready, and to every breaker registered in the fleet. */
  readonly startupSeconds: number
  readonly registeredSeconds: number
  /** Share of (instance, breaker) pairs in the fleet listing when the window started (1 = all). */
  readonly registeredShare: number
  readonly window: Rates
  /** Redis memory after FLUSHALL, once every breaker registered, and after the window. */
  readonly memory: { readonly empty: Memory; readonly registered: Memory; readonly loaded: Memory }
  /** The store's keys by kind, once every breaker registered and after the window. */
  readonly keys: { readonly registered: KeyMemory; readonly loaded: KeyMemory }
  /** Times a worker's store lost Redis during the window (all workers). */
  readonly downs: number
  /** CPU of all workers together over the window, in cores (1 = one core busy). */
  readonly workerCpu: number
  readonly propagation: {
    readonly trials: number
    readonly samples: number
    readonly missed: number
    readonly p50: number
    readonly p99: number
    readonly max: number
    readonly tripP50: number
    /** µs Redis spent per PUBLISH during the trials (delivery to every subscriber included). */
    readonly publishUsec: number
  }
}

export interface Bench {
  readonly port: number
  readonly admin: Redis
  readonly tripper: RedisStore
  readonly prefix: string
  /** The bundled worker script. */
  readonly worker: string
}

const WARMUP_MS = 4_000
const WINDOW_MS = 10_000
const TRIALS = 20
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const wallNow = () => performance.timeOrigin + performance.now()

/**
 * Waits until Redis lists every breaker in every instance's fleet set; after 60 s goes on with
 * what is there. Answers the share of (instance, breaker) pairs listed.
 */
async function registered(bench: Bench, point: Point, ids: readonly string[]): Promise<number> {
  const base = `${bench.prefix}{~fleet}:`
  const deadline = Date.now() + 60_000
  let share = 0
  while (Date.now() < deadline) {
    const pipeline = bench.admin.pipeline().zcard(`${base}c`)
    for (const id of ids) pipeline.scard(`${base}n:${id}`)
    const counts = ((await pipeline.exec()) ?? []).map(([, n]) => Number(n))
    share = counts.slice(1).reduce((s, n) => s + n, 0) / (ids.length * point.breakers)
    if (counts.every((n) => n >= point.breakers)) return 1
    await sleep(250)
  }
  console.warn(`only ${(share * 100).toFixed(1)} % of the breakers registered within 60 s`)
  return share
}

/** Outages seen by the workers' stores so far, and their CPU time (ms), all workers together. */
async function reported(fleet: Fleet): Promise<{ downs: number; cpuMs: number }> {
  const reports = fleet.collect((m) => (m.type === 'report' ? m : undefined), 10_000)
  fleet.tell({ type: 'report' })
  const sum = { downs: 0, cpuMs: 0 }
  for (const r of await reports) {
    sum.downs += r?.downs ?? 0
    sum.cpuMs += r?.cpuMs ?? 0
  }
  return sum
}

export async function measure(bench: Bench, point: Point): Promise<Measured> {
  const load0 = loadavg()[0]!
  await bench.admin.flushall()
  await bench.admin.config('RESETSTAT')
  const empty = await memory(bench.admin)
  const callEvery = 100
  const started = wallNow()
  const fleet = new Fleet(
    bench.worker,
    point.instances,
    {
      ...point,
      port: bench.port,
      prefix: bench.prefix,
      callEvery,
    },
    point.nice,
  )
  try {
    const ids = await fleet.collect((m) => (m.type === 'ready' ? m.instanceId : undefined), 180_000)
    if (ids.some((id) => id === undefined)) throw new Error('a worker did not start within 180 s')
    const startupSeconds = (wallNow() - started) / 1_000
    const registeredShare = await registered(bench, point, ids as string[])
    const registeredSeconds = (wallNow() - started) / 1_000
    const reg = await memory(bench.admin)
    const keysRegistered = await keyMemory(bench.admin, bench.prefix)
    await sleep(WARMUP_MS)
    const before = await reported(fleet)
    const a = await counters(bench.admin)
    await sleep(WINDOW_MS)
    const b = await counters(bench.admin)
    const after = await reported(fleet)
    const loaded = await memory(bench.admin)
    const keysLoaded = await keyMemory(bench.admin, bench.prefix)
    const c = await counters(bench.admin)
    const trips = await measurePropagation(fleet, bench.tripper, 'fleet', TRIALS)
    const d = await counters(bench.admin)
    const sorted = [...trips.tripMs].sort((x, y) => x - y)
    return {
      ...point,
      at: new Date().toISOString(),
      callEvery,
      load: [load0, loadavg()[0]!],
      startupSeconds,
      registeredSeconds,
      registeredShare,
      window: rates(a, b),
      memory: { empty, registered: reg, loaded },
      keys: { registered: keysRegistered, loaded: keysLoaded },
      downs: after.downs - before.downs,
      workerCpu: (after.cpuMs - before.cpuMs) / 1_000 / ((b.at - a.at) / 1_000),
      propagation: {
        trials: trips.trials,
        samples: trips.latencies.length,
        missed: trips.missed,
        p50: quantile(trips.latencies, 0.5),
        p99: quantile(trips.latencies, 0.99),
        max: quantile(trips.latencies, 1),
        tripP50: quantile(sorted, 0.5),
        publishUsec: rates(c, d).usecPerCall.publish ?? Number.NaN,
      },
    }
  } finally {
    await fleet.stop()
  }
}
