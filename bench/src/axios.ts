/**
 * axios scenario (`--axios`, also run by `--http`): latency of a keep-alive GET, one at a time,
 * to an upstream in a child process (this file, forked, so the server never shares this event
 * loop), bare and with @tripswitch/axios's interceptor pair, in interleaved rounds. For
 * information: the network's noise hides a cost of a few µs, which the default run's adapter
 * scenario (adapters.ts, 5d) measures without it.
 */
import { fork } from 'node:child_process'
import { Agent, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { attachCircuitBreaker } from '@tripswitch/axios'
import { CircuitBreakerRegistry } from '@tripswitch/core'
import axios, { type AxiosInstance } from 'axios'
import { addedNs } from './adapters.ts'
import { type BenchConfig, type Contender, measure, median, scaledOps } from './harness.ts'
import { formatUs, type Scenario, timingTable } from './report.ts'

const OPS = 2_000

function startUpstream(): Promise<{ port: number; stop: () => void }> {
  const child = fork(fileURLToPath(import.meta.url), ['--axios-upstream'], { stdio: 'inherit' })
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

type Setup = (http: AxiosInstance) => void

const VARIANTS: ReadonlyArray<readonly [string, Setup]> = [
  ['bare axios', () => undefined],
  [
    '+ @tripswitch/axios (origin key)',
    (http) => attachCircuitBreaker(http, { registry: new CircuitBreakerRegistry() }),
  ],
  [
    '+ a no-op async interceptor pair',
    (http) => {
      http.interceptors.request.use(async (config) => config)
      http.interceptors.response.use((response) => response)
    },
  ],
]

function contenders(base: string): Contender[] {
  return VARIANTS.map(([name, setup]) => {
    const http = axios.create({
      baseURL: base,
      httpAgent: new Agent({ keepAlive: true, maxSockets: 1 }),
    })
    setup(http)
    return {
      name,
      async run(n: number) {
        for (let i = 0; i < n; i++) await http.get('/hello')
      },
    }
  })
}

export const axiosAdapter: Scenario = {
  id: 'axios',
  title: 'axios over a local network',
  async run(config: BenchConfig) {
    const upstream = await startUpstream()
    const base = `http://127.0.0.1:${upstream.port}`
    const rounds = { rounds: config.rounds, warmupRounds: config.warmupRounds }
    let real: Awaited<ReturnType<typeof measure>>
    try {
      // Wall time (the default): the request waits on another process.
      real = await measure(contenders(base), { ...rounds, ops: scaledOps(OPS, config) })
    } finally {
      upstream.stop()
    }
    const request = median(real[0]!.nsPerOp)
    const added = real
      .slice(1)
      .map((s) => `${s.name}: ${formatUs(addedNs(s, real[0]!))} µs added`)
      .join('; ')
    return {
      tables: [
        timingTable(
          '7. axios GET /hello, keep-alive, one at a time, upstream in a child process',
          real,
          'µs',
          real[0],
          `Median of per-round differences: ${added}, on a ${formatUs(request)} µs request. Noisy: 5d measures the added cost without the network.`,
        ),
      ],
      checks: [],
    }
  },
}

if (process.argv.includes('--axios-upstream') && process.send !== undefined) {
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
