import type { IncomingMessage, ServerResponse } from 'node:http'
import { sendError, setHeaders } from './respond.ts'

/** Milliseconds between `: ping` comments, which keep proxies from closing an idle stream. */
export const PING_MS = 15_000
// A client this far behind is not reading: it is dropped rather than buffered without end.
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024

const STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  connection: 'keep-alive',
  // Tells nginx not to buffer the stream.
  'x-accel-buffering': 'no',
}

/** One Server-Sent Events message. `data` is JSON: it holds no newline. */
export function eventText(event: string, data: string): string {
  return `event: ${event}\ndata: ${data}\n\n`
}

/**
 * The clients of `GET /api/events`. Every `intervalMs` the state is produced and serialised
 * once, and the same text is written to every client; transitions are written as they happen.
 * Timers run only while a client is connected, and never keep the process alive.
 */
export class EventHub {
  private readonly clients = new Set<ServerResponse>()
  private tickTimer: NodeJS.Timeout | null = null
  private pingTimer: NodeJS.Timeout | null = null
  private ticking = false
  private closed = false

  constructor(
    private readonly maxClients: number,
    private readonly intervalMs: number,
    private readonly produce: () => Promise<string>,
  ) {}

  /** Number of connected clients. */
  get size(): number {
    return this.clients.size
  }

  /** Opens a stream for `res`, or answers 503 past `maxClients`. */
  async connect(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.closed || this.clients.size >= this.maxClients) {
      const message = 'Too many dashboard clients; try again later.'
      return sendError(req, res, 503, 'too_many_clients', message, { 'retry-after': '5' })
    }
    setHeaders(res, STREAM_HEADERS)
    res.statusCode = 200
    if (req.method === 'HEAD') return void res.end()
    this.clients.add(res)
    res.on('close', () => this.drop(res))
    res.write('retry: 2000\n\n')
    this.start()
    const state = await this.produce()
    if (this.clients.has(res)) res.write(eventText('snapshot', state))
  }

  /** Sends `data` as event `event` to every client. */
  broadcast(event: string, data: string): void {
    const text = eventText(event, data)
    for (const res of this.clients) this.write(res, text)
  }

  /** Ends every stream and stops the timers; later clients get 503. */
  close(): void {
    this.closed = true
    for (const res of this.clients) res.end()
    this.clients.clear()
    this.stop()
  }

  private write(res: ServerResponse, text: string | Buffer): void {
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      this.drop(res)
      res.destroy()
      return
    }
    res.write(text)
  }

  private drop(res: ServerResponse): void {
    this.clients.delete(res)
    if (this.clients.size === 0) this.stop()
  }

  private start(): void {
    if (this.tickTimer !== null) return
    this.tickTimer = setInterval(() => void this.tick(), this.intervalMs)
    this.tickTimer.unref()
    this.pingTimer = setInterval(() => this.ping(), PING_MS)
    this.pingTimer.unref()
  }

  private stop(): void {
    if (this.tickTimer !== null) clearInterval(this.tickTimer)
    if (this.pingTimer !== null) clearInterval(this.pingTimer)
    this.tickTimer = null
    this.pingTimer = null
  }

  /** One snapshot for everyone; a client still busy with the last one skips this one. */
  private async tick(): Promise<void> {
    if (this.ticking || this.clients.size === 0) return
    this.ticking = true
    try {
      // Encoded once: written as a string, each client would pay for its own UTF-8 copy.
      const bytes = Buffer.from(eventText('snapshot', await this.produce()))
      for (const res of this.clients) if (!res.writableNeedDrain) this.write(res, bytes)
    } catch {
      // No snapshot this tick; the next one tries again.
    } finally {
      this.ticking = false
    }
  }

  private ping(): void {
    for (const res of this.clients) this.write(res, ': ping\n\n')
  }
}
