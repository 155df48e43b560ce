import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type RequestListener,
  type Server,
} from 'node:http'
import type { AddressInfo } from 'node:net'
import { CircuitBreakerRegistry } from '@tripswitch/core'
import { FakeClock } from '@tripswitch/core/testing'
import { createDashboard, type Dashboard, type DashboardOptions } from '../src/index.ts'

/** A server listening on 127.0.0.1, with its base URL. */
export interface Listening {
  readonly server: Server
  readonly port: number
  /** `http://127.0.0.1:PORT` */
  readonly url: string
  close(): Promise<void>
}

/** Starts `listener` (or an Express app) on a free port of 127.0.0.1. */
export async function listen(listener: RequestListener): Promise<Listening> {
  const server = createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A response, read whole. */
export interface Answer {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly text: string
  /** The body parsed as JSON (undefined when it is not JSON). */
  readonly json: unknown
}

/** What a test request sends. `path` goes on the wire exactly as given. */
export interface Ask {
  readonly method?: string
  readonly path: string
  readonly headers?: Record<string, string>
  readonly body?: string | Buffer
}

/** Sends one request to `port` and reads the whole answer. */
export function ask(
  port: number,
  { method = 'GET', path, headers = {}, body }: Ask,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parse(text) })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** The headers an action needs, with a JSON content type. */
export const ACTION_HEADERS: Record<string, string> = {
  'x-tripswitch-action': '1',
  'content-type': 'application/json',
}

/** POSTs a valid action request (`body` defaults to `{}`). */
export function act(
  port: number,
  path: string,
  body = '{}',
  headers: Record<string, string> = ACTION_HEADERS,
): Promise<Answer> {
  return ask(port, { method: 'POST', path, headers, body })
}

/** One Server-Sent Event as received. */
export interface ReceivedEvent {
  readonly event: string
  readonly data: string
}

/** An open event stream, collecting what it receives. */
export interface EventClient {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly events: ReceivedEvent[]
  /** Every byte received, as text (comments included). */
  raw(): string
  /** Waits (bounded) until an event satisfies `test`; returns it. */
  next(test: (event: ReceivedEvent) => boolean, timeoutMs?: number): Promise<ReceivedEvent>
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>
  close(): void
}

/** Opens `GET path` as an event stream. */
export function openEvents(port: number, path: string): Promise<EventClient> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path }, (res) => {
      resolve(eventClient(req, res))
    })
    req.on('error', reject)
    req.end()
  })
}

function eventClient(req: ReturnType<typeof httpRequest>, res: IncomingMessage): EventClient {
  const events: ReceivedEvent[] = []
  const waiters = new Set<() => void>()
  let raw = ''
  let pending = ''
  res.setEncoding('utf8')
  res.on('data', (chunk: string) => {
    raw += chunk
    pending += chunk
    for (let end = pending.indexOf('\n\n'); end !== -1; end = pending.indexOf('\n\n')) {
      const block = pending.slice(0, end)
      pending = pending.slice(end + 2)
      const event = /^event: (.*)$/m.exec(block)?.[1]
      const data = /^data: (.*)$/m.exec(block)?.[1]
      if (event !== undefined && data !== undefined) events.push({ event, data })
    }
    for (const wake of waiters) wake()
  })
  const ended = new Promise<void>((resolve) => {
    res.on('end', resolve)
    res.on('close', resolve)
  })
  res.on('error', () => undefined)
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    events,
    raw: () => raw,
    ended,
    close: () => req.destroy(),
    next: (test, timeoutMs = 5_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(test)
          if (found === undefined) return
          cleanup()
          resolve(found)
        }
        const timer = setTimeout(() => {
          cleanup()
          reject(new Error(`no matching event within ${timeoutMs} ms; got ${events.length}`))
        }, timeoutMs)
        const cleanup = () => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        waiters.add(check)
        check()
      }),
  }
}

/** Polls `condition` every 10 ms until it holds, failing after `timeoutMs`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** A registry on a fake clock, trippable after 2 failures, with a 10 s recovery timeout. */
export function fakeRegistry(): { clock: FakeClock; registry: CircuitBreakerRegistry } {
  const clock = new FakeClock(1_000_000)
  const registry = new CircuitBreakerRegistry({
    clock,
    defaults: { strategy: 'consecutive', errorThreshold: 2, recoveryTimeout: 10_000 },
  })
  return { clock, registry }
}

/** Fails a call through `name`'s breaker with `error`. */
export async function fail(
  registry: CircuitBreakerRegistry,
  name: string,
  error: Error,
): Promise<void> {
  await registry
    .get(name)
    .execute(() => Promise.reject(error))
    .catch(() => undefined)
}

/** Succeeds a call through `name`'s breaker. */
export async function succeed(registry: CircuitBreakerRegistry, name: string): Promise<void> {
  await registry.get(name).execute(() => Promise.resolve('ok'))
}

/** A dashboard on a plain node:http server, and what a test reads of it. */
export interface Served {
  readonly registry: CircuitBreakerRegistry
  /** The registry's clock, when the helper made the registry. */
  readonly clock: FakeClock | undefined
  readonly dashboard: Dashboard
  /** Every action log entry. */
  readonly log: unknown[]
  readonly port: number
  stop(): Promise<void>
}

/** A dashboard served by a plain node:http server; closed by `stop()`. */
export async function serve(options: Partial<DashboardOptions> = {}): Promise<Served> {
  const made = options.registry === undefined ? fakeRegistry() : undefined
  const registry = options.registry ?? made!.registry
  const log: unknown[] = []
  const dashboard: Dashboard = createDashboard({
    log: (entry) => log.push(entry),
    ...options,
    registry,
  })
  const server = await listen((req, res) => dashboard(req, res))
  return {
    registry: registry,
    clock: made?.clock,
    dashboard: dashboard,
    log: log,
    port: server.port,
    stop: async () => {
      dashboard.close()
      await server.close()
    },
  }
}
