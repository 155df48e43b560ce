// Fits the fleet model of docs/redis-at-scale.md to the points fleet.ts measured, and prints
// the fitted formulas, their errors and the predictions for a large fleet, as Markdown.
// Run: npx tsx packages/redis/scale/fit.ts [measured.json]
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { leastSquares, relativeErrors } from './least-squares.ts'
import type { Measured } from './point.ts'
import { measuredScripts } from './table.ts'

const file = process.argv[2] ?? join(import.meta.dirname, 'measured.json')
const points = JSON.parse(readFileSync(file, 'utf8')) as Measured[]

/** The fitted model: script calls, Redis CPU and memory as functions of the fleet's settings. */
export interface Model {
  /** EVALSHA/s ≈ flush·N·K/S + read·N·(B−K)/P + beat·N (S, P in seconds). */
  readonly calls: { readonly flush: number; readonly read: number; readonly beat: number }
  /** Redis CPU in µs per second ≈ flush·flushes/s + read·reads/s + instance·N. */
  readonly cpu: { readonly flush: number; readonly read: number; readonly instance: number }
  /** Bytes: per name in an instance's fleet set, per circuit, per instance, per busy window. */
  readonly bytes: {
    readonly held: number
    readonly circuit: number
    readonly instance: number
    readonly window: number
    readonly connection: number
  }
}

const idle = (m: Measured) => m.breakers - m.busy
const flushTerm = (m: Measured) => (m.instances * m.busy * 1_000) / m.syncInterval
const readTerm = (m: Measured) => (m.instances * idle(m) * 1_000) / m.pollInterval
const kind = (m: Measured, k: string, at: 'registered' | 'loaded' = 'registered') =>
  m.keys[at][k]?.bytes ?? 0

function fitCalls(ok: readonly Measured[]): Model['calls'] {
  const [flush, read, beat] = leastSquares(
    ok.map((m) => [flushTerm(m), readTerm(m), m.instances]),
    ok.map((m) => measuredScripts(m).evalsha),
  )
  return { flush: flush!, read: read!, beat: beat! }
}

function fitCpu(ok: readonly Measured[]): Model['cpu'] {
  const [flush, read, instance] = leastSquares(
    ok.map((m) => [measuredScripts(m).flushes, measuredScripts(m).reads, m.instances]),
    ok.map((m) => m.window.cpu * 1e6),
  )
  return { flush: flush!, read: read!, instance: instance! }
}

function fitBytes(all: readonly Measured[]): Model['bytes'] {
  const [held] = leastSquares(
    all.map((m) => [m.instances * m.breakers]),
    all.map((m) => kind(m, 'fleet:n')),
  )
  const per = (f: (m: Measured) => number) => all.reduce((s, m) => s + f(m), 0) / all.length
  const clients = (m: Measured) => m.memory.registered.clients - m.memory.empty.clients
  return {
    held: held!,
    circuit: per((m) => kind(m, 'fleet:c') / m.breakers),
    instance: per((m) => kind(m, 'fleet:i') / m.instances),
    window: per((m) => kind(m, 'w', 'loaded') / m.busy),
    connection: per((m) => clients(m) / (2 * m.instances)),
  }
}

/** Points where the fleet kept up: every instance flushed and polled on time, no outage. */
function keptUp(m: Measured): boolean {
  const s = measuredScripts(m)
  return m.downs === 0 && s.flushes >= 0.9 * flushTerm(m) && s.reads >= 0.8 * readTerm(m)
}

const pct = (x: number) => `${(x * 100).toFixed(0)} %`
const num = (x: number, digits = 0) =>
  x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

function report(): void {
  const ok = points.filter(keptUp)
  const calls = fitCalls(ok)
  const cpu = fitCpu(ok)
  const bytes = fitBytes(points)
  const predictedCalls = ok.map(
    (m) => calls.flush * flushTerm(m) + calls.read * readTerm(m) + calls.beat * m.instances,
  )
  const callErr = relativeErrors(
    predictedCalls,
    ok.map((m) => measuredScripts(m).evalsha),
  )
  const predictedCpu = ok.map((m) => {
    const s = measuredScripts(m)
    return cpu.flush * s.flushes + cpu.read * s.reads + cpu.instance * m.instances
  })
  const cpuErr = relativeErrors(
    predictedCpu,
    ok.map((m) => m.window.cpu * 1e6),
  )
  const heldErr = relativeErrors(
    points.map((m) => bytes.held * m.instances * m.breakers),
    points.map((m) => kind(m, 'fleet:n')),
  )
  console.log(`Points: ${points.length}, of which ${ok.length} kept up (used for the fits).\n`)
  console.log(
    `EVALSHA/s = ${num(calls.flush, 3)}·N·K/S + ${num(calls.read, 3)}·N·(B−K)/P + ${num(calls.beat, 3)}·N` +
      `  (error rms ${pct(callErr.rms)}, max ${pct(callErr.max)})`,
  )
  console.log(
    `Redis CPU µs/s = ${num(cpu.flush, 1)}·flushes/s + ${num(cpu.read, 1)}·reads/s + ${num(cpu.instance, 0)}·N` +
      `  (error rms ${pct(cpuErr.rms)}, max ${pct(cpuErr.max)})`,
  )
  console.log(
    `bytes: ${num(bytes.held, 1)} per (instance, breaker) held (rms ${pct(heldErr.rms)}), ` +
      `${num(bytes.circuit, 1)} per circuit, ${num(bytes.instance, 1)} per instance (fleet zset), ` +
      `${num(bytes.window, 0)} per busy window, ${num(bytes.connection, 0)} per connection`,
  )
  console.log('\nPer point (measured → model):')
  ok.forEach((m, i) => {
    console.log(
      `${m.instances}x${m.breakers}x${m.busy}x${m.syncInterval}x${m.pollInterval}: ` +
        `EVALSHA ${num(measuredScripts(m).evalsha)} → ${num(predictedCalls[i]!)}, ` +
        `CPU ${pct(m.window.cpu)} → ${pct(predictedCpu[i]! / 1e6)}, workers ${pct(m.workerCpu ?? 0)}, ` +
        `usec/evalsha ${num(m.window.usecPerCall.evalsha ?? 0, 1)}`,
    )
  })
  const skipped = points.filter((m) => !keptUp(m))
  for (const m of skipped)
    console.log(
      `not kept up: ${m.instances}x${m.breakers}x${m.busy}x${m.syncInterval}x${m.pollInterval}` +
        ` (flushes ${num(measuredScripts(m).flushes)} of ${num(flushTerm(m))}, reads ${num(measuredScripts(m).reads)} of ${num(readTerm(m))}, ${m.downs} outages)`,
    )
  predict({ calls, cpu, bytes })
}

/** Redis CPU (cores) and memory (bytes) the model predicts for a fleet. */
function predictOne(
  model: Model,
  f: { n: number; b: number; k: number; s: number; p: number },
): { scripts: number; cores: number; bytes: number } {
  const flushes = (f.n * f.k) / f.s
  const reads = (f.n * (f.b - f.k)) / f.p
  const cores =
    (model.cpu.flush * flushes + model.cpu.read * reads + model.cpu.instance * f.n) / 1e6
  const { held, circuit, instance, window, connection } = model.bytes
  const bytes =
    held * f.n * f.b + circuit * f.b + instance * f.n + window * f.k + connection * 2 * f.n
  return { scripts: flushes + reads + model.calls.beat * f.n, cores, bytes }
}

function predict(model: Model): void {
  console.log(
    '\n| instances | breakers (busy) | syncInterval | pollInterval | scripts/s | Redis CPU | memory |',
  )
  console.log('|---|---|---|---|---|---|---|')
  const fleets = [
    { n: 10_000, b: 1_000, k: 100, s: 0.25, p: 2 },
    { n: 10_000, b: 1_000, k: 100, s: 1, p: 10 },
    { n: 10_000, b: 1_000, k: 20, s: 5, p: 60 },
    { n: 10_000, b: 100, k: 20, s: 1, p: 10 },
    { n: 10_000, b: 100, k: 20, s: 5, p: 30 },
    { n: 10_000, b: 50, k: 5, s: 5, p: 60 },
    { n: 10_000, b: 20, k: 2, s: 10, p: 60 },
    { n: 1_000, b: 100, k: 20, s: 1, p: 10 },
    { n: 64, b: 1_000, k: 100, s: 0.25, p: 2 },
  ]
  for (const f of fleets) {
    const r = predictOne(model, f)
    console.log(
      `| ${num(f.n)} | ${num(f.b)} (${f.k}) | ${num(f.s * 1_000)} ms | ${num(f.p)} s | ${num(r.scripts)} | ${num(r.cores, 2)} cores | ${num(r.bytes / 2 ** 20)} MiB |`,
    )
  }
}

report()
