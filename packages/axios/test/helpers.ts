import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CircuitBreakerRegistry, type CircuitBreakerRegistryOptions } from '@tripswitch/core'
import { FakeClock } from '@tripswitch/core/testing'
import axios, { type AxiosInstance } from 'axios'
import { afterEach } from 'vitest'

/**
 * A real upstream on 127.0.0.1. Paths:
 * - `/ok`: 200 JSON;
 * - `/status/:code?retry-after=v`: that status, with `Retry-After: v` when given;
 * - `/flaky/:n`: 503 for the first n requests to that path, then 200;
 * - `/hang`: never answers; `/drop`: destroys the connection.
 */
export interface Upstream {
  /** `http://127.0.0.1:<port>` */
  readonly base: string
  /** Requests received so far. */
  readonly count: number
}

const running: Array<() => Promise<void>> = []

afterEach(async () => {
  await Promise.all(running.splice(0).map((close) => close()))
})

/** Starts an upstream on port 0; closed (hanging requests too) after the test. */
export async function upstream(): Promise<Upstream> {
  let count = 0
  const seen = new Map<string, number>()
  const server = createServer((req, res) => {
    count++
    const path = req.url ?? '/'
    seen.set(path, (seen.get(path) ?? 0) + 1)
    answer(req, res, seen.get(path) ?? 1)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
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
    get count() {
      return count
    },
  }
}

function answer(req: IncomingMessage, res: ServerResponse, nth: number): void {
  const url = new URL(req.url ?? '/', 'http://upstream')
  const [, kind, arg] = url.pathname.split('/')
  if (kind === 'hang') return
  if (kind === 'drop') {
    req.socket.destroy()
    return
  }
  let status = 200
  if (kind === 'status') status = Number(arg)
  if (kind === 'flaky' && nth <= Number(arg)) status = 503
  const retryAfter = url.searchParams.get('retry-after')
  if (retryAfter !== null) res.setHeader('retry-after', retryAfter)
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ status }))
}

/** A registry on a fake clock, and a fresh axios instance that never throws on status. */
export function setup(
  options: Omit<CircuitBreakerRegistryOptions, 'clock'> = {},
  start = 1e6,
): { clock: FakeClock; registry: CircuitBreakerRegistry; http: AxiosInstance } {
  const clock = new FakeClock(start)
  const registry = new CircuitBreakerRegistry({ ...options, clock })
  const http: AxiosInstance = axios.create()
  return { clock, registry, http }
}

/** What a promise rejected with (fails the test when it resolves). */
export async function rejection(pending: Promise<unknown>): Promise<unknown> {
  try {
    await pending
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

/** Sends `count` GETs one after another, swallowing rejections; returns the statuses or codes. */
export async function send(http: AxiosInstance, url: string, count: number): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < count; i++) {
    try {
      out.push(String((await http.get(url)).status))
    } catch (error) {
      const e = error as { response?: { status: number }; code?: string }
      out.push(e.response ? String(e.response.status) : String(e.code))
    }
  }
  return out
}
