/**
 * axios scenario (`--axios`, also run by `--http`): latency added per request by
 * @tripswitch/axios's interceptor pair, against bare axios, in interleaved rounds. 6a: the same
 * keep-alive GET, one at a time, to an upstream in a child process (this file, forked), so the
 * server never shares this event loop. 6b: the same requests through a stub adapter, which
 * leaves only axios's and the interceptors' work: the added cost without the network's noise.
 * The target sets 6b's added time against 6a's request time.
 */
import { fork } from 'node:child_process'
import { Agent, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { attachCircuitBreaker } from '@tripswitch/axios'
import { CircuitBreakerRegistry } from '@tripswitch/core'
import axios, {
  type AxiosInstance,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios'
import {
  type BenchConfig,
  type Contender,
  measure,
  median,
  type Samples,
  scaledOps,
} from './harness.ts'
import { formatUs, type Scenario, timingTable } from './report.ts'

const OPS = 2_000
/** DESIGN target: the adapter adds at most 2 % to a request's own time. */
const TARGET_PERCENT = 2

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

const STUB_OPS = 20_000

// Answers in-process: what remains is axios's own work and the interceptors'.
const stubAdapter = async (config: InternalAxiosRequestConfig): Promise<AxiosResponse> => ({
  data: null,
  status: 200,
  statusText: 'OK',
  headers: {},
  config,
})

type Setup = (http: AxiosInstance) => void

const VARIANTS: ReadonlyArray<readonly [string, Setup]> = [
  ['bare axios', () => undefined],
  [
    '+ @tripswitch/axios (origin key)',
    (http) => attachCircuitBreaker(http, { registry: new CircuitBreakerRegistry() }),
  ],
  [
    '+ @tripswitch/axios (fixed key)',
    (http) =>
      attachCircuitBreaker(http, { registry: new CircuitBreakerRegistry(), key: () => 'k' }),
  ],
  [
    '+ a no-op async interceptor pair',
    (http) => {
      http.interceptors.request.use(async (config) => config)
      http.interceptors.response.use((response) => response)
    },
  ],
]

function contenders(base: string, stub: boolean): Contender[] {
  return VARIANTS.map(([name, setup]) => {
    const http = axios.create({
      baseURL: base,
      httpAgent: new Agent({ keepAlive: true, maxSockets: 1 }),
      ...(stub ? { adapter: stubAdapter } : {}),
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

/** Median over rounds of (contender - bare), paired round by round, in ns. */
function addedNs(samples: Samples, bare: Samples): number {
  return median(samples.nsPerOp.map((ns, round) => ns - bare.nsPerOp[round]!))
}

export const axiosAdapter: Scenario = {
  id: 'axios',
  title: 'axios interceptor overhead',
  async run(config: BenchConfig) {
    const upstream = await startUpstream()
    const base = `http://127.0.0.1:${upstream.port}`
    const rounds = { rounds: config.rounds, warmupRounds: config.warmupRounds }
    let real: Samples[]
    let stub: Samples[]
    try {
      real = await measure(contenders(base, false), { ...rounds, ops: scaledOps(OPS, config) })
      stub = await measure(contenders(base, true), { ...rounds, ops: scaledOps(STUB_OPS, config) })
    } finally {
      upstream.stop()
    }
    // The added cost is measured without the network (it is the same work, with far less
    // noise) and set against the time of a real request.
    const request = median(real[0]!.nsPerOp)
    const lines = stub.slice(1).map((s) => {
      const added = addedNs(s, stub[0]!)
      const onReal = addedNs(real[stub.indexOf(s)]!, real[0]!)
      return {
        name: s.name,
        percent: (100 * added) / request,
        text: `${s.name}: +${formatUs(added)} µs/request = ${((100 * added) / request).toFixed(2)} % of a ${formatUs(request)} µs request (with the network: +${formatUs(onReal)} µs, noisier)`,
      }
    })
    const ours = lines.filter((l) => l.name.includes('@tripswitch'))
    const worst = Math.max(...ours.map((l) => l.percent))
    return {
      tables: [
        timingTable(
          '6a. axios GET /hello, keep-alive, one at a time, upstream in a child process',
          real,
          'µs',
        ),
        timingTable(
          '6b. the same through a stub adapter (no network): axios and interceptors only',
          stub,
          'µs',
          stub[0],
          `Added latency, median of per-round differences in 6b, against 6a's bare request:\n${lines.map((l) => l.text).join('\n')}`,
        ),
      ],
      checks: [
        {
          label: `axios adapter adds <= ${TARGET_PERCENT} % to a local request`,
          actual: `${worst.toFixed(2)} %`,
          pass: worst <= TARGET_PERCENT,
        },
      ],
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
