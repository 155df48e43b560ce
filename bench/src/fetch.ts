/**
 * fetch scenario (`--fetch` once wired into index.ts): time @tripswitch/fetch's
 * `withCircuitBreaker` adds to one request, paired round by round against the bare function.
 *
 * - In process: a fetch stand-in that answers at once with a prebuilt `Response` (the guard
 *   never reads a body, so one response serves every call), so only the guard runs: key,
 *   registry lookup, acquire, classification, settle. This is the figure checked against the
 *   target, as the other adapters' in-process figures are (adapters.ts, 5a–5d).
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

/** The guarded variants over `fetch`, each with its own registry (checked after the run). */
function variants(
  fetch: Fetch,
): Array<{ name: string; fetch: Fetch; registry?: CircuitBreakerRegistry }> {
  const origin = new CircuitBreakerRegistry()
  const fixed = new CircuitBreakerRegistry()
  const timed = new CircuitBreakerRegistry()
  const composed = new CircuitBreakerRegistry()
  const shutdown = new AbortController()
  const withSignal = withCircuitBreaker(fetch, { registry: composed, timeout: 5_000 })
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
    // Node's own price of one AbortSignal per request, which a timeout needs (not checked).
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
  fetch: Fetch,
  url: string,
  read: boolean,
  config: BenchConfig,
  ops: number,
): Promise<Samples[]> {
  const all = variants(fetch)
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
  // The timeout rows pay for Node's AbortSignal (the comparison row shows how much): informational.
  return samples.slice(1, 3).map((s) => {
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
    const local = await run(
      immediate,
      URL_IN_PROCESS,
      false,
      config,
      scaledOps(OPS_IN_PROCESS, config),
    )
    const upstream = await startUpstream()
    let network: Samples[]
    try {
      const url = `http://127.0.0.1:${upstream.port}/hello`
      network = await run(globalThis.fetch, url, true, config, scaledOps(OPS_NETWORK, config))
    } finally {
      upstream.stop()
    }
    return {
      tables: [
        timingTable(
          '8a. withCircuitBreaker over a fetch stand-in that answers at once (in process)',
          local,
          'µs',
          local[0],
          addedNote(
            local,
            'No sockets in the loop: this is the figure checked against the target.',
          ),
        ),
        timingTable(
          '8b. withCircuitBreaker over the global fetch, GET /hello, keep-alive, one at a time, upstream in a child process',
          network,
          'µs',
          network[0],
          addedNote(network, 'Noisy: 8a measures the added cost without the network.'),
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
