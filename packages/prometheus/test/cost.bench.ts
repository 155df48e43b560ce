/**
 * The costs of @tripswitch/prometheus, measured in process (not a test: timings vary by
 * machine). Run from the package with
 * `npx tsx --expose-gc --conditions=@tripswitch/source test/cost.bench.ts`. Times are this
 * process's CPU time; bytes allocated are the heap's growth plus what garbage collections
 * freed meanwhile (`v8.GCProfiler`). `npm run bench` has the same rows (table 10).
 */

import { GCProfiler } from 'node:v8'
import { CircuitBreakerRegistry } from '@tripswitch/core'
import { Registry } from 'prom-client'
import { registerMetrics } from '../src/index.ts'

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined)
const fn = () => 1
const ROUNDS = 15
const CALLS = 100_000

type Breaker = ReturnType<CircuitBreakerRegistry['get']>

async function nsPerCall(breaker: Breaker): Promise<number> {
  const start = process.hrtime.bigint()
  for (let i = 0; i < CALLS; i++) await breaker.execute(fn)
  return Number(process.hrtime.bigint() - start) / CALLS
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** Median ns per closed call of each breaker, their rounds interleaved. */
async function paired(breakers: Record<string, Breaker>): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = {}
  for (const name of Object.keys(breakers)) samples[name] = []
  const entries = Object.entries(breakers)
  for (let round = -3; round < ROUNDS; round++)
    // The order alternates: the second of a pair tends to measure slower.
    for (const [name, breaker] of round % 2 === 0 ? entries : [...entries].reverse()) {
      const ns = await nsPerCall(breaker)
      if (round >= 0) samples[name]!.push(ns)
    }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]))
}

async function callCost(): Promise<void> {
  const plain = new CircuitBreakerRegistry()
  const measured = new CircuitBreakerRegistry()
  const unregister = registerMetrics(measured, { register: new Registry() })
  const off = await paired({ with: measured.get('a'), without: plain.get('a') })
  console.log(
    `closed call: ${off.without!.toFixed(1)} ns without, ${off.with!.toFixed(1)} ns with registerMetrics (${(off.with! / off.without!).toFixed(3)}x)`,
  )
  unregister()
  const histogram = new CircuitBreakerRegistry()
  const reference = new CircuitBreakerRegistry()
  const stop = registerMetrics(histogram, { register: new Registry(), histogram: true })
  // The histogram's subscriber makes every breaker of the process measure: the reference is
  // the same call before it was attached, measured above.
  const on = await paired({ histogram: histogram.get('a'), otherRegistry: reference.get('a') })
  console.log(
    `histogram on: ${on.histogram!.toFixed(1)} ns per call (+${(on.histogram! - off.without!).toFixed(1)} ns); a breaker of another registry: ${on.otherRegistry!.toFixed(1)} ns (+${(on.otherRegistry! - off.without!).toFixed(1)} ns)`,
  )
  stop()
}

/** Bytes allocated by `run`: heap growth plus what collections during it freed. */
async function allocated<T>(
  run: () => Promise<T>,
): Promise<{ bytes: number; ms: number; result: T }> {
  gc()
  const profiler = new GCProfiler()
  const heap = process.memoryUsage().heapUsed
  profiler.start()
  const cpu = process.cpuUsage()
  const result = await run()
  const used = process.cpuUsage(cpu)
  const grown = process.memoryUsage().heapUsed - heap
  const freed = (profiler.stop()?.statistics ?? []).reduce(
    (sum, s) =>
      sum + s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize,
    0,
  )
  return { bytes: grown + freed, ms: (used.user + used.system) / 1000, result }
}

type Family = { getForPromString(): Promise<unknown> }

async function scrapeCost(breakers: number): Promise<void> {
  const registry = new CircuitBreakerRegistry({ maxBreakers: breakers })
  for (let i = 0; i < breakers; i++) registry.get(`route-${i}`)
  for (let i = 0; i < breakers; i += 10) await registry.get(`route-${i}`).execute(fn)
  const register = new Registry()
  registerMetrics(registry, { register })
  for (let i = 0; i < 3; i++) await register.metrics()
  const scrapes: Array<{ bytes: number; ms: number }> = []
  let size = 0
  for (let i = 0; i < 7; i++) {
    const { bytes, ms, result } = await allocated(() => register.metrics())
    scrapes.push({ bytes, ms })
    size = result.length
  }
  // The families' own work: reading the breakers and writing the lines, before prom-client
  // joins them (twice: a family, then the exposition).
  const families = register.getMetricsAsArray() as unknown as Family[]
  const own: Array<{ bytes: number; ms: number }> = []
  for (let i = 0; i < 7; i++)
    own.push(await allocated(() => Promise.all(families.map((f) => f.getForPromString()))))
  const mb = (xs: Array<{ bytes: number }>) => (median(xs.map((x) => x.bytes)) / 1e6).toFixed(1)
  const ms = (xs: Array<{ ms: number }>) => median(xs.map((x) => x.ms)).toFixed(1)
  console.log(
    `scrape of ${breakers} breakers: ${ms(scrapes)} ms CPU, ${mb(scrapes)} MB allocated (the text included), ${(size / 1e6).toFixed(1)} MB of text (${(size / breakers) | 0} bytes per circuit)`,
  )
  console.log(`  of which the families' own lines: ${ms(own)} ms CPU, ${mb(own)} MB`)
}

await callCost()
await scrapeCost(1_000)
await scrapeCost(10_000)
