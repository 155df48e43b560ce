// Fits the fleet model of docs/redis-at-scale.md to the points fleet.ts measured, and prints
// the fitted formulas, their errors and the predictions for a large fleet, as Markdown.
// Run: npx tsx packages/redis/scale/fit.ts [measured.json]
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { leastSquares, relativeErrors } from './least-squares.ts'
import type { Measured } from './point.ts'
import { measuredScripts, rowOf, TABLE_HEAD } from './table.ts'

const file = process.argv[2] ?? join(import.meta.dirname, 'measured.json')
const points = JSON.parse(readFileSync(file, 'utf8')) as Measured[]

/** The fitted model: script calls, Redis CPU and memory as functions of the fleet's settings. */
export interface Model {
  /** flushes/s ≈ flush·N·K/S and reads/s ≈ read·N·(B−K)/P (S, P in seconds); beats N/10 s. */
  readonly calls: { readonly flush: number; readonly read: number }
  /** Redis CPU in µs per second ≈ flush·flushes/s + read·reads/s. */
  readonly cpu: { readonly flush: number; readonly read: number }
  /** Bytes: per name in an instance's fleet set, per circuit, per instance, per busy window. */
  readonly bytes: {
    readonly held: number
    readonly circuit: number
    readonly instance: number
    readonly window: number
    readonly connection: number
    /** used_memory (clients and scripts left out) grown per (instance, breaker) at registration. */
    readonly usedPerHeld: number
  }
}

const net = (x: Measured['memory']['empty']) => x.used - x.clients - x.scripts
const idle = (m: Measured) => m.breakers - m.busy
const flushTerm = (m: Measured) => (m.instances * m.busy * 1_000) / m.syncInterval
const readTerm = (m: Measured) => (m.instances * idle(m) * 1_000) / m.pollInterval
const kind = (m: Measured, k: string, at: 'registered' | 'loaded' = 'registered') =>
  m.keys[at][k]?.bytes ?? 0

function fitCalls(ok: readonly Measured[]): Model['calls'] {
  const [flush] = leastSquares(
    ok.map((m) => [flushTerm(m)]),
    ok.map((m) => measuredScripts(m).flushes),
  )
  const [read] = leastSquares(
    ok.map((m) => [readTerm(m)]),
    ok.map((m) => measuredScripts(m).reads),
  )
  return { flush: flush!, read: read! }
}

/** On every point: CPU per script measured, whether or not the fleet kept up. */
function fitCpu(all: readonly Measured[]): Model['cpu'] {
  const [flush, read] = leastSquares(
    all.map((m) => [measuredScripts(m).flushes, measuredScripts(m).reads]),
    all.map((m) => m.window.cpu * 1e6),
  )
  return { flush: flush!, read: read! }
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
    usedPerHeld: per(
      (m) => (net(m.memory.registered) - net(m.memory.empty)) / (m.instances * m.breakers),
    ),
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
  console.log(`${TABLE_HEAD}\n${points.map((m) => rowOf(m, keptUp(m))).join('\n')}\n`)
  const ok = points.filter(keptUp)
  const calls = fitCalls(ok)
  const cpu = fitCpu(points)
  const bytes = fitBytes(points)
  const flushErr = relativeErrors(
    ok.map((m) => calls.flush * flushTerm(m)),
    ok.map((m) => measuredScripts(m).flushes),
  )
  const readErr = relativeErrors(
    ok.map((m) => calls.read * readTerm(m)),
    ok.map((m) => measuredScripts(m).reads),
  )
  const predictedCpu = points.map((m) => {
    const s = measuredScripts(m)
    return cpu.flush * s.flushes + cpu.read * s.reads
  })
  const cpuErr = relativeErrors(
    predictedCpu,
    points.map((m) => m.window.cpu * 1e6),
  )
  const heldErr = relativeErrors(
    points.map((m) => bytes.held * m.instances * m.breakers),
    points.map((m) => kind(m, 'fleet:n')),
  )
  console.log(`Points: ${points.length}, of which ${ok.length} kept up (used for the call fits).\n`)
  console.log(
    `flushes/s = ${num(calls.flush, 3)}·N·K/S (rms ${pct(flushErr.rms)}, max ${pct(flushErr.max)}); ` +
      `reads/s = ${num(calls.read, 3)}·N·(B−K)/P (rms ${pct(readErr.rms)}, max ${pct(readErr.max)})`,
  )
  console.log(
    `Redis CPU µs/s = ${num(cpu.flush, 1)}·flushes/s + ${num(cpu.read, 1)}·reads/s` +
      `  (all points; error rms ${pct(cpuErr.rms)}, max ${pct(cpuErr.max)})`,
  )
  console.log(
    `bytes: ${num(bytes.held, 1)} per (instance, breaker) held (rms ${pct(heldErr.rms)}), ` +
      `${num(bytes.circuit, 1)} per circuit, ${num(bytes.instance, 1)} per instance (fleet zset), ` +
      `${num(bytes.window, 0)} per busy window, ${num(bytes.connection, 0)} per connection; ` +
      `used_memory grew ${num(bytes.usedPerHeld, 0)} B per (instance, breaker) at registration`,
  )
  console.log('\nPer point (measured → model):')
  points.forEach((m, i) => {
    const s = measuredScripts(m)
    console.log(
      `${m.instances}x${m.breakers}x${m.busy}x${m.syncInterval}x${m.pollInterval}${keptUp(m) ? '' : ' (not kept up)'}: ` +
        `flushes ${num(s.flushes)} → ${num(calls.flush * flushTerm(m))}, reads ${num(s.reads)} → ${num(calls.read * readTerm(m))}, ` +
        `CPU ${pct(m.window.cpu)} → ${pct(predictedCpu[i]! / 1e6)}, workers ${pct(m.workerCpu)}, ` +
        `usec/evalsha ${num(m.window.usecPerCall.evalsha ?? 0, 1)}, ${m.downs} outages`,
    )
  })
  predict({ calls, cpu, bytes })
}

/** Redis CPU (cores) and memory (bytes) the model predicts for a fleet. */
function predictOne(
  model: Model,
  f: { n: number; b: number; k: number; s: number; p: number },
): { scripts: number; cores: number; bytes: number } {
  const flushes = (model.calls.flush * f.n * f.k) / f.s
  const reads = (model.calls.read * f.n * (f.b - f.k)) / f.p
  const cores = (model.cpu.flush * flushes + model.cpu.read * reads) / 1e6
  const { held, circuit, instance, window, connection } = model.bytes
  const bytes =
    held * f.n * f.b + circuit * f.b + instance * f.n + window * f.k + connection * 2 * f.n
  return { scripts: flushes + reads + f.n / 10, cores, bytes }
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
