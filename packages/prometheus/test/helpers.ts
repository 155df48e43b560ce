import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CircuitBreakerRegistry, type CircuitBreakerRegistryOptions } from '@tripswitch/core'
import { FakeClock } from '@tripswitch/core/testing'
import { circuitBreaker } from '@tripswitch/express'
import express from 'express'
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format'
import type { Registry } from 'prom-client'
import { afterEach } from 'vitest'

const running: Array<() => Promise<void>> = []

afterEach(async () => {
  await Promise.all(running.splice(0).map((close) => close()))
})

/** A registry whose breakers run on a fake clock. */
export function fakeRegistry(options: Omit<CircuitBreakerRegistryOptions, 'clock'> = {}): {
  clock: FakeClock
  registry: CircuitBreakerRegistry
} {
  const clock = new FakeClock(1_000_000)
  return { clock, registry: new CircuitBreakerRegistry({ ...options, clock }) }
}

/** What the app under test answers, switched by the test. */
export interface Upstream {
  failing: boolean
}

/** A server under test: its base URL, and requests to it. */
export interface Served {
  readonly base: string
  get(path: string): Promise<Response>
  fetch(path: string, init: RequestInit): Promise<Response>
}

/** A node:http request handler. */
type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>

/**
 * A real Express app on 127.0.0.1: `GET /offer` guarded by a breaker of `registry` (keyed
 * `GET /offer`), failing with 500 while `upstream.failing`, and `GET /metrics` serving
 * `register` through `metrics` when given, else `register.metrics()`.
 */
export async function serveApp(
  registry: CircuitBreakerRegistry,
  register: Registry,
  upstream: Upstream,
  metrics?: Handler,
): Promise<Served> {
  const app = express()
  app.get('/offer', circuitBreaker({ registry }), (_req, res) => {
    res.status(upstream.failing ? 500 : 200).json({ offer: 'today' })
  })
  if (metrics !== undefined) app.all('/metrics', metrics)
  else
    app.get('/metrics', async (_req, res) => {
      res.type(register.contentType).send(await register.metrics())
    })
  return listen(app.listen(0, '127.0.0.1'))
}

/** A real node:http server on 127.0.0.1 answering every request with `handler`. */
export async function serveHandler(handler: Handler): Promise<Served> {
  return listen(
    createServer((req, res) => {
      void handler(req, res)
    }).listen(0, '127.0.0.1'),
  )
}

/** Waits for `server` to listen; it is closed after the test. */
export async function listen(server: Server): Promise<Served> {
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  running.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    base,
    get: (path) => fetch(base + path),
    fetch: (path, init) => fetch(base + path, init),
  }
}

/** A parsed exposition, with lookups by family and labels. */
export class Scrape {
  constructor(readonly families: ParsedFamily[]) {}

  /** The value of the one series of `family` with exactly these labels; undefined when absent. */
  value(family: string, labels: Record<string, string> = {}): number | undefined {
    const sample = this.family(family)?.metrics.find((m) => sameLabels(m.labels ?? {}, labels))
    return sample?.value === undefined ? undefined : Number(sample.value)
  }

  /** The family called `name`, if exported. */
  family(name: string): ParsedFamily | undefined {
    return this.families.find((f) => f.name === name)
  }

  /** Every value of label `label` among the series of `family`. */
  labelValues(family: string, label: string): string[] {
    const values = this.family(family)?.metrics.map((m) => m.labels?.[label] ?? '') ?? []
    return [...new Set(values)].sort()
  }

  /** The state whose `circuit_state` series is 1 for `name`. */
  stateOf(name: string, prefix = 'tripswitch_'): string | undefined {
    return this.family(`${prefix}circuit_state`)?.metrics.find(
      (m) => m.labels?.name === name && m.value === '1',
    )?.labels?.state
  }
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k])
}

/** Parses exposition text with a real Prometheus text-format parser. */
export function parse(text: string): Scrape {
  return new Scrape(parsePrometheusTextFormat(text))
}

/** Scrapes `/metrics` over HTTP and parses the answer. */
export async function scrapeHttp(app: { get(path: string): Promise<Response> }): Promise<Scrape> {
  const response = await app.get('/metrics')
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`)
  return parse(await response.text())
}

/** Circuit names that need escaping or are otherwise unusual. */
export const HOSTILE: readonly string[] = [
  'quote"and\\slash',
  'line\nbreak',
  '<img src=x onerror=alert(1)>',
  '__proto__',
  'constructor',
  'café ☕ 🚦',
  ' ',
  '\\"\\n',
  // Core refuses longer names.
  '"'.repeat(256),
]

/**
 * A registry of `count` breakers (hostile names among them) in every state, some called,
 * failed and refused, with transitions: every family has series in many chunks of lines.
 */
export async function busyRegistry(
  count: number,
  names: readonly string[] = HOSTILE,
): Promise<CircuitBreakerRegistry> {
  const { registry } = fakeRegistry({ maxBreakers: count + names.length })
  const all = [...Array.from({ length: count }, (_, i) => `route-${i}`), ...names]
  for (const [i, name] of all.entries()) {
    const breaker = registry.get(name)
    if (i % 3 === 0) await breaker.execute(() => i)
    if (i % 7 === 0) await breaker.execute(() => Promise.reject(new Error('x'))).catch(() => {})
    if (i % 5 === 1) breaker.forceOpen()
    if (i % 5 === 1 && i % 2 === 0) await breaker.execute(() => 1).catch(() => {})
    if (i % 11 === 2) breaker.disable()
    if (i % 13 === 3) {
      breaker.forceOpen()
      breaker.reset()
    }
  }
  return registry
}
