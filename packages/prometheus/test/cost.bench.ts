/**
 * The costs of @tripswitch/prometheus, measured in process (not a test: timings vary by
 * machine). Run from the package with
 * `npx tsx --expose-gc --max-semi-space-size=128 --conditions=@tripswitch/source test/cost.bench.ts`.
 * A large young generation keeps the scrape's allocations from being collected mid-scrape,
 * so the heap growth across it approximates the bytes it allocated.
 */
import { CircuitBreakerRegistry } from '@tripswitch/core'
import { type Gauge, Registry } from 'prom-client'
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

async function scrapeCost(breakers: number): Promise<void> {
  const registry = new CircuitBreakerRegistry({ maxBreakers: breakers })
  for (let i = 0; i < breakers; i++) registry.get(`route-${i}`)
  for (let i = 0; i < breakers; i += 10) await registry.get(`route-${i}`).execute(fn)
  const register = new Registry()
  registerMetrics(registry, { register })
  for (let i = 0; i < 3; i++) await register.metrics()
  const times: number[] = []
  const allocated: number[] = []
  let size = 0
  for (let i = 0; i < 7; i++) {
    gc()
    const heap = process.memoryUsage().heapUsed
    const start = process.hrtime.bigint()
    const text = await register.metrics()
    times.push(Number(process.hrtime.bigint() - start) / 1e6)
    allocated.push(process.memoryUsage().heapUsed - heap)
    size = text.length
  }
  const collection: number[] = []
  for (let i = 0; i < 7; i++) {
    const start = process.hrtime.bigint()
    await Promise.all(
      register.getMetricsAsArray().map((metric) => (metric as unknown as Gauge).get()),
    )
    collection.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  console.log(
    `  of which reading the breakers and making the series: ${median(collection).toFixed(1)} ms`,
  )
  gc()
  console.log(
    `scrape of ${breakers} breakers: ${median(times).toFixed(1)} ms, ~${(median(allocated) / 1e6).toFixed(1)} MB allocated, ${(size / 1e6).toFixed(1)} MB of text (${(size / breakers) | 0} bytes per circuit)`,
  )
}

await callCost()
await scrapeCost(10_000)
