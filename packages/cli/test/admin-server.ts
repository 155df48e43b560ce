import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

// A small admin API speaking the dashboard's HTTP contract (list, events, actions), for the
// cases the real dashboard never produces: answers of the wrong kind (500, HTML, a stream that
// ends), hostile data, and a precise record of what the CLI sent.

/** A circuit as the server lists it. */
export interface FakeCircuit {
  name: string
  state: string
  failureRate?: number
  generation?: number
}

/** One request the server received. */
export interface Received {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage['headers']
  readonly body: string
}

/** Replaces the server's answer to `GET api/circuits` and `GET api/events` (status, content type, body). */
export interface Override {
  readonly status: number
  readonly type?: string
  readonly body: string
}

export class AdminServer {
  circuits: FakeCircuit[] = []
  /** Value the `authorization` header must have for actions to be allowed; `null` refuses all. */
  token: string | null = 'Bearer ok'
  override: Override | null = null
  readonly received: Received[] = []
  private readonly streams = new Set<ServerResponse>()
  private readonly server: Server

  private constructor(private readonly base: string) {
    this.server = createServer((req, res) => {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (chunk: string) => {
        body += chunk
      })
      req.on('end', () => this.answer(req, res, body))
    })
  }

  /** Starts a server on 127.0.0.1 mounted at `base` (e.g. `/circuits/`). */
  static async start(base = '/circuits/'): Promise<AdminServer> {
    const admin = new AdminServer(base)
    await new Promise<void>((resolve) => admin.server.listen(0, '127.0.0.1', resolve))
    return admin
  }

  /** The URL to pass as `--url`. */
  get url(): string {
    const { port } = this.server.address() as AddressInfo
    return `http://127.0.0.1:${port}${this.base}`
  }

  /** Clients of the event stream now. */
  get watchers(): number {
    return this.streams.size
  }

  /** Sends an event to every stream client. */
  push(event: string, data: string): void {
    for (const res of this.streams) res.write(`event: ${event}\ndata: ${data}\n\n`)
  }

  /** Ends every event stream (the instance going away). */
  endStreams(): void {
    for (const res of this.streams) res.end()
    this.streams.clear()
  }

  state(): string {
    const circuits = this.circuits.map((c) => ({
      retryAfterMs: 0,
      callsPerSecond: 2,
      slowCallRate: 0,
      failureRate: 0,
      generation: 0,
      ...c,
    }))
    return JSON.stringify({
      instance: 'test',
      canAct: this.token !== null,
      at: Date.now(),
      circuits,
      fleet: null,
    })
  }

  async close(): Promise<void> {
    this.endStreams()
    this.server.closeAllConnections()
    await new Promise((resolve) => this.server.close(resolve))
  }

  private answer(req: IncomingMessage, res: ServerResponse, body: string): unknown {
    const url = req.url ?? ''
    this.received.push({ method: req.method ?? '', url, headers: req.headers, body })
    if (!url.startsWith(this.base))
      return json(res, 404, { error: { code: 'not_found', message: 'nothing here' } })
    const path = url.slice(this.base.length)
    if (req.method === 'GET' && path === 'api/circuits') return this.list(res)
    if (req.method === 'GET' && path === 'api/events') return this.events(res)
    const action = /^api\/circuits\/([^/]+)\/(open|close|reset|disable)$/.exec(path)
    if (req.method === 'POST' && action !== null) return this.act(req, res, action[1]!, action[2]!)
    json(res, 404, { error: { code: 'not_found', message: 'no such route' } })
  }

  private list(res: ServerResponse): unknown {
    const o = this.override
    if (o === null) return json(res, 200, JSON.parse(this.state()))
    res.writeHead(o.status, { 'content-type': o.type ?? 'application/json' }).end(o.body)
  }

  private events(res: ServerResponse): unknown {
    const o = this.override
    if (o !== null) {
      res.writeHead(o.status, { 'content-type': o.type ?? 'application/json' }).end(o.body)
      return
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
    res.write(`: hello\n\nevent: snapshot\ndata: ${this.state()}\n\n`)
    this.streams.add(res)
    res.on('close', () => this.streams.delete(res))
  }

  private act(req: IncomingMessage, res: ServerResponse, encoded: string, action: string): unknown {
    if (req.headers['x-tripswitch-action'] !== '1')
      return json(res, 400, { error: { code: 'bad_request' } })
    if (req.headers['content-type'] !== 'application/json')
      return json(res, 415, { error: { code: 'unsupported' } })
    if (this.token === null || req.headers.authorization !== this.token)
      return json(res, 403, { error: { code: 'forbidden', message: 'not allowed' } })
    const name = decodeURIComponent(encoded)
    const circuit = this.circuits.find((c) => c.name === name)
    if (circuit === undefined)
      return json(res, 404, { error: { code: 'not_found', message: 'unknown' } })
    circuit.state = { open: 'forced_open', disable: 'disabled' }[action] ?? 'closed'
    json(res, 200, { name, action, state: circuit.state })
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}
