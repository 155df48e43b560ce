/**
 * fetch scenario (`--fetch` once wired into index.ts): time @tripswitch/fetch's
 * `withCircuitBreaker` adds to one request, paired round by round against the bare function.
 *
 * - In process: a fetch stand-in that answers at once with a prebuilt `Response` (the guard
 *   never reads a body, so one response serves every call), so only the guard runs: key,
 *   registry lookup, acquire, classification, settle. This is the figure checked against the
 *   target, as the other adapters' in-process figures are (adapters.ts, 5a–5d). With a
 *   `timeout` (9b) the guard also creates an AbortSignal and a timer per request; measured
 *   apart, for information, next to the price of a bare AbortSignal.
 * - Over a local network: Node's global fetch (keep-alive) to an upstream in a child process
 *   (this file, forked, so the server never shares this event loop). For information: the
 *   network's noise hides a cost of a few µs.
 */
import { fork } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { CircuitBreakerRegistry } from '@tripswitch/core'
import { withCircuitBreaker } from '@tripswitch/fetch'
import { addedNs } from './adapters.ts'
import {
  type BenchConfig,
  type Contender,
  measure,
  median,
  type Samples,
  scaledOps,
} from './harness.ts'
import { formatUs, type Scenario, type TargetCheck, timingTable } from './report.ts'

/** Target: at most this many µs added per request, in process. */
const TARGET_US = 2
const OPS_IN_PROCESS = 20_000
const OPS_NETWORK = 2_000
const URL_IN_PROCESS = 'http://upstream.test/hello'

type Fetch = (input: string, init?: RequestInit) => Promise<Response>

function loop(fetch: Fetch, url: string, read: boolean): Contender['run'] {
  return async (n) => {
    for (let i = 0; i < n; i++) {
      const response = await fetch(url)
      if (read) await response.arrayBuffer()
    }
  }
}

/** Fails the run unless the registry's breakers saw `min` or more calls, all successful. */
function assertGuarded(label: string, registry: CircuitBreakerRegistry, min: number): void {
  const totals = registry.list().map((b) => b.snapshot().totals)
  const calls = totals.reduce((sum, t) => sum + t.calls, 0)
  const successful = totals.reduce((sum, t) => sum + t.successful, 0)
  if (totals.length === 0 || calls < min || successful !== calls)
    throw new Error(
      `[fetch] ${label}: ${calls} calls, ${successful} successful: not every request was guarded`,
    )
}

type Variant = { name: string; fetch: Fetch; registry?: CircuitBreakerRegistry }

/** The bare function and the guarded variants without a timeout (the checked ones). */
function plainVariants(fetch: Fetch): Variant[] {
  const origin = new CircuitBreakerRegistry()
  const fixed = new CircuitBreakerRegistry()
  return [
    { name: 'fetch', fetch },
    {
      name: '+ withCircuitBreaker (origin key)',
      fetch: withCircuitBreaker(fetch, { registry: origin }),
      registry: origin,
    },
    {
      name: '+ withCircuitBreaker (fixed key)',
      fetch: withCircuitBreaker(fetch, { registry: fixed, key: 'upstream' }),
      registry: fixed,
    },
  ]
}

/**
 * The timed variants, measured apart: their AbortSignals leave garbage (weak references,
 * finalizers) whose collection would land in the other rows' rounds. Node's own price of one
 * AbortSignal per request is the comparison row.
 */
function timedVariants(fetch: Fetch): Variant[] {
  const timed = new CircuitBreakerRegistry()
  const composed = new CircuitBreakerRegistry()
  const shutdown = new AbortController()
  const withSignal = withCircuitBreaker(fetch, { registry: composed, timeout: 5_000 })
  return [
    { name: 'fetch', fetch },
    {
      name: '+ a new AbortSignal per request, no breaker (for comparison)',
      fetch: (input) => fetch(input, { signal: new AbortController().signal }),
    },
    {
      name: '+ withCircuitBreaker (origin key, timeout: 5000)',
      fetch: withCircuitBreaker(fetch, { registry: timed, timeout: 5_000 }),
      registry: timed,
    },
    {
      name: '+ withCircuitBreaker (timeout: 5000, one caller signal for every request)',
      fetch: (input) => withSignal(input, { signal: shutdown.signal }),
      registry: composed,
    },
  ]
}

async function run(
  all: readonly Variant[],
  url: string,
  read: boolean,
  config: BenchConfig,
  ops: number,
): Promise<Samples[]> {
  const samples = await measure(
    all.map((v) => ({ name: v.name, run: loop(v.fetch, url, read) })),
    { rounds: config.rounds, warmupRounds: config.warmupRounds, ops },
  )
  for (const v of all) if (v.registry !== undefined) assertGuarded(v.name, v.registry, ops)
  return samples
}

function addedNote(samples: readonly Samples[], suffix: string): string {
  const bare = samples[0]!
  const added = samples
    .slice(1)
    .map((s) => `${s.name.replace(/^\+ /, '')}: +${formatUs(addedNs(s, bare))} µs`)
    .join('; ')
  return `Median of per-round differences against the first row: ${added}, on a ${formatUs(median(bare.nsPerOp))} µs request. ${suffix}`
}

function checks(samples: readonly Samples[]): TargetCheck[] {
  const bare = samples[0]!
  return samples.slice(1).map((s) => {
    const added = addedNs(s, bare)
    return {
      label: `fetch ${s.name.replace(/^\+ /, '')}: added ≤ ${TARGET_US} µs per request`,
      actual: `+${formatUs(added)} µs on ${formatUs(median(bare.nsPerOp))} µs`,
      pass: added / 1000 <= TARGET_US,
    }
  })
}

function startUpstream(): Promise<{ port: number; stop: () => void }> {
  const child = fork(fileURLToPath(import.meta.url), ['--fetch-upstream'], { stdio: 'inherit' })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('message', (message: unknown) => {
      const port =
        typeof message === 'object' && message !== null && 'port' in message ? message.port : null
      if (typeof port !== 'number') return reject(new Error(`upstream sent ${String(message)}`))
      resolve({ port, stop: () => child.disconnect() })
    })
  })
}

export const fetchAdapter: Scenario = {
  id: 'fetch',
  title: '@tripswitch/fetch: added cost per request',
  async run(config: BenchConfig) {
    const answer = Response.json({ hello: 'world' })
    const immediate: Fetch = async () => answer
    const ops = scaledOps(OPS_IN_PROCESS, config)
    const local = await run(plainVariants(immediate), URL_IN_PROCESS, false, config, ops)
    const timed = await run(timedVariants(immediate), URL_IN_PROCESS, false, config, ops)
    const upstream = await startUpstream()
    let network: Samples[]
    try {
      const url = `http://127.0.0.1:${upstream.port}/hello`
      const variants = [...plainVariants(globalThis.fetch), timedVariants(globalThis.fetch)[2]!]
      network = await run(variants, url, true, config, scaledOps(OPS_NETWORK, config))
    } finally {
      upstream.stop()
    }
    const inProcess = 'over a fetch stand-in that answers at once (in process)'
    return {
      tables: [
        timingTable(
          `9a. withCircuitBreaker ${inProcess}`,
          local,
          'µs',
          local[0],
          addedNote(local, 'No sockets in the loop: these rows are checked against the target.'),
        ),
        timingTable(
          `9b. withCircuitBreaker with a timeout ${inProcess}`,
          timed,
          'µs',
          timed[0],
          addedNote(
            timed,
            'For information: a timeout costs one AbortSignal per request (Node 20 charges several µs for it, the comparison row) and a timer.',
          ),
        ),
        timingTable(
          '9c. withCircuitBreaker over the global fetch, GET /hello, keep-alive, one at a time, upstream in a child process',
          network,
          'µs',
          network[0],
          addedNote(network, 'Noisy: 9a measures the added cost without the network.'),
        ),
      ],
      checks: checks(local),
    }
  },
}

if (process.argv.includes('--fetch-upstream') && process.send !== undefined) {
  const body = JSON.stringify({ hello: 'world' })
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(body)
  })
  server.listen(0, '127.0.0.1', () => {
    process.send?.({ port: (server.address() as AddressInfo).port })
  })
  process.on('disconnect', () => process.exit(0))
}
