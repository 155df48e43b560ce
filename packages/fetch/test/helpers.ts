import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CircuitBreakerRegistry, type CircuitBreakerRegistryOptions } from '@tripswitch/core'
import { FakeClock } from '@tripswitch/core/testing'
import { afterEach } from 'vitest'

/**
 * A real upstream on 127.0.0.1. Paths:
 * - `/ok`: 200 JSON `{ status: 200 }`;
 * - `/status/:code?retry-after=v`: that status, with `Retry-After: v` when given, JSON body;
 * - `/flaky/:n`: 503 for the first n requests to that path, then 200;
 * - `/hang`: never answers; `/drop`: destroys the connection before answering;
 * - `/cut`: sends 200 headers and a first chunk, then destroys the connection;
 * - `/stream/:n`: 200 with n chunks `chunk <i>\n`, written one per 5 ms.
 */
export interface Upstream {
  /** `http://127.0.0.1:<port>` */
  readonly base: string
  /** Requests received so far. */
  readonly count: number
  /** Requests whose connection closed before the answer ended (aborted by the client). */
  readonly closedEarly: number
}

const running: Array<() => Promise<void>> = []

afterEach(async () => {
  await Promise.all(running.splice(0).map((close) => close()))
})

/** Starts an upstream on port 0; closed (hanging requests too) after the test. */
export async function upstream(): Promise<Upstream> {
  let count = 0
  let closedEarly = 0
  const seen = new Map<string, number>()
  const server = createServer((req, res) => {
    count++
    const path = req.url ?? '/'
    seen.set(path, (seen.get(path) ?? 0) + 1)
    res.once('close', () => {
      if (!res.writableFinished) closedEarly++
    })
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
    get closedEarly() {
      return closedEarly
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
  if (kind === 'cut') {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' })
    res.write('first chunk', () => setTimeout(() => req.socket.destroy(), 5))
    return
  }
  if (kind === 'stream') {
    stream(res, Number(arg))
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

function stream(res: ServerResponse, chunks: number): void {
  res.writeHead(200, { 'content-type': 'text/plain' })
  let i = 0
  const timer = setInterval(() => {
    if (res.destroyed) {
      clearInterval(timer)
      return
    }
    res.write(`chunk ${i}\n`)
    if (++i === chunks) {
      clearInterval(timer)
      res.end()
    }
  }, 5)
}

/** A registry on a fake clock. */
export function setup(
  options: Omit<CircuitBreakerRegistryOptions, 'clock'> = {},
  start = 1e6,
): { clock: FakeClock; registry: CircuitBreakerRegistry } {
  const clock = new FakeClock(start)
  const registry = new CircuitBreakerRegistry({ ...options, clock })
  return { clock, registry }
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

/** Calls `fetch` `count` times one after another; returns statuses, or error codes / names. */
export async function send(
  fetch: (url: string) => Promise<Response | { status: number; text(): Promise<string> }>,
  url: string,
  count: number,
): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < count; i++) {
    try {
      const response = await fetch(url)
      await response.text()
      out.push(String(response.status))
    } catch (error) {
      const e = error as { code?: string; name?: string }
      out.push(String(e.code ?? e.name))
    }
  }
  return out
}

/** Waits until `condition` holds (real time, polling every ms), at most `ms`. */
export async function until(condition: () => boolean, ms = 2_000): Promise<void> {
  const end = Date.now() + ms
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
}
