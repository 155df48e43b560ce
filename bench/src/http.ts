/**
 * HTTP scenario (`--http`): requests per second and p99 latency of the same route served by
 * bare Express, Express + @tripswitch/express, bare Fastify, Fastify + @tripswitch/fastify and
 * Fastify + @fastify/circuit-breaker. Each server runs in its own child process (see
 * http-server.ts); autocannon drives it from this process over 127.0.0.1.
 */
import { fork } from 'node:child_process'
import autocannon from 'autocannon'
import type { BenchConfig } from './harness.ts'
import { VARIANTS, type Variant } from './http-variants.ts'
import { formatInt, formatRatio, type Scenario } from './report.ts'

const SECONDS = 3
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
    const seconds = Math.max(1, Math.round(SECONDS * Math.min(1, config.scale * 3)))
    const results = new Map<Variant, autocannon.Result>()
    for (const variant of VARIANTS) {
      const server = await serve(variant)
      try {
        await load(server.port, WARMUP_SECONDS)
        results.set(variant, await load(server.port, seconds))
      } finally {
        server.stop()
      }
    }
    const bareOf = (v: Variant): Variant => (v.startsWith('express') ? 'express' : 'fastify')
    const rows = VARIANTS.map((variant) => {
      const r = results.get(variant)!
      const bare = results.get(bareOf(variant))!
      return [
        variant,
        formatInt(r.requests.average),
        `${r.latency.p99} ms`,
        variant === bareOf(variant)
          ? '1.00×'
          : formatRatio(r.requests.average / bare.requests.average),
      ]
    })
    return {
      tables: [
        {
          title: `5. HTTP GET /hello (JSON), autocannon ${CONNECTIONS} connections, ${seconds} s each after ${WARMUP_SECONDS} s warm-up`,
          head: ['server', 'req/s', 'p99', 'req/s vs bare'],
          rows,
          note: 'One pass (not interleaved): treat differences under ~5 % as noise.',
        },
      ],
      checks: [],
    }
  },
}
