/**
 * HTTP scenario (`--http`): requests per second and p99 latency of the same route served by
 * bare Express, Express + @tripswitch/express, bare Fastify, Fastify + @tripswitch/fastify and
 * Fastify + @fastify/circuit-breaker. Each server runs in its own child process (see
 * http-server.ts); autocannon drives it from this process over 127.0.0.1.
 */
import { fork } from 'node:child_process'
import autocannon from 'autocannon'
import { type BenchConfig, median } from './harness.ts'
import { VARIANTS, type Variant } from './http-variants.ts'
import { formatInt, formatRatio, type Scenario } from './report.ts'

const ROUNDS = 3
const SECONDS_PER_ROUND = 1
const WARMUP_SECONDS = 1
const CONNECTIONS = 50

interface Served {
  readonly port: number
  readonly stop: () => void
}

function serve(variant: Variant): Promise<Served> {
  const child = fork(new URL('./http-server.ts', import.meta.url), [variant], { stdio: 'inherit' })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`server ${variant} exited with ${code}`)))
    child.once('message', (message: unknown) => {
      const port =
        typeof message === 'object' && message !== null && 'port' in message ? message.port : null
      if (typeof port !== 'number')
        return reject(new Error(`server ${variant} sent ${JSON.stringify(message)}`))
      child.removeAllListeners('exit')
      resolve({ port, stop: () => child.disconnect() })
    })
  })
}

async function load(port: number, seconds: number): Promise<autocannon.Result> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/hello`,
    connections: CONNECTIONS,
    duration: seconds,
  })
  if (result.errors > 0 || result.non2xx > 0) {
    throw new Error(
      `HTTP load on port ${port}: ${result.errors} errors, ${result.non2xx} non-2xx answers`,
    )
  }
  return result
}

export const http: Scenario = {
  id: 'http',
  title: 'HTTP throughput',
  async run(config: BenchConfig) {
    const rounds = config.scale < 1 ? 1 : ROUNDS
    const servers = new Map<Variant, Served>()
    const samples = new Map<Variant, autocannon.Result[]>(VARIANTS.map((v) => [v, []]))
    try {
      for (const variant of VARIANTS) servers.set(variant, await serve(variant))
      for (const variant of VARIANTS) await load(servers.get(variant)!.port, WARMUP_SECONDS)
      // Interleaved like the other scenarios: every server once per round, rotating order.
      for (let round = 0; round < rounds; round++) {
        for (let k = 0; k < VARIANTS.length; k++) {
          const variant = VARIANTS[(round + k) % VARIANTS.length]!
          samples.get(variant)!.push(await load(servers.get(variant)!.port, SECONDS_PER_ROUND))
        }
      }
    } finally {
      for (const server of servers.values()) server.stop()
    }
    const rps = (v: Variant) => median(samples.get(v)!.map((r) => r.requests.average))
    const p99 = (v: Variant) => median(samples.get(v)!.map((r) => r.latency.p99))
    const bareOf = (v: Variant): Variant => (v.startsWith('express') ? 'express' : 'fastify')
    const rows = VARIANTS.map((variant) => [
      variant,
      formatInt(rps(variant)),
      `${p99(variant)} ms`,
      variant === bareOf(variant) ? '1.00×' : formatRatio(rps(variant) / rps(bareOf(variant))),
    ])
    return {
      tables: [
        {
          title: `6. HTTP GET /hello (JSON), autocannon ${CONNECTIONS} connections, ${rounds} interleaved rounds of ${SECONDS_PER_ROUND} s per server`,
          head: ['server', 'median req/s', 'median p99', 'req/s vs bare'],
          rows,
          note: 'Server and load generator share this machine: treat differences under ~10 % as noise.',
        },
      ],
      checks: [],
    }
  },
}
