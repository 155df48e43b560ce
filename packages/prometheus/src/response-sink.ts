import type { ServerResponse } from 'node:http'
import type { ByteSink } from './byte-writer.ts'

/** Size of a buffer (bytes): a chunk of the response. */
export const CHUNK_BYTES: number = 64 * 1024
/** Chunks of one response handed to the socket and not yet written by it, at most. */
const IN_FLIGHT = 4
/** Buffers kept for the next scrapes. */
const SPARE = 8

/** Buffers reused scrape after scrape, by every response of one handler. */
export class BufferPool {
  private readonly free: Buffer[] = []

  /** A buffer of at least `bytes` (one of {@link CHUNK_BYTES} unless more is asked). */
  take(bytes: number = CHUNK_BYTES): Buffer {
    if (bytes > CHUNK_BYTES) return Buffer.allocUnsafe(bytes)
    return this.free.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES)
  }

  /** Gives back a buffer nothing refers to any more (a larger one is dropped). */
  give(buffer: Buffer): void {
    if (buffer.length === CHUNK_BYTES && this.free.length < SPARE) this.free.push(buffer)
  }
}

/** Thrown out of the writing when the client went away: nothing more is to be written. */
export class ClientGone extends Error {
  constructor() {
    super('the client closed the connection before the end of the response')
  }
}

/**
 * Sends the buffers of a {@link ByteWriter} to an HTTP response. A buffer goes back to the
 * pool only once its write callback fired: node:http and net.Socket call it once the bytes
 * were handed to the operating system (or dropped, the socket being destroyed), and hold the
 * buffer itself until then. At most {@link IN_FLIGHT} buffers are waiting so, and after a write
 * that asks to (backpressure) nothing more is written before `drain`. When the response closes
 * first (the client went away), the waits end with {@link ClientGone}.
 */
export class ResponseSink implements ByteSink {
  private inFlight = 0
  private closed = false
  private wake: (() => void) | null = null
  private readonly onEvent = (): void => {
    const wake = this.wake
    this.wake = null
    wake?.()
  }
  private readonly onClose = (): void => {
    this.closed = true
    this.onEvent()
  }

  constructor(
    private readonly res: ServerResponse,
    private readonly pool: BufferPool,
  ) {
    res.on('close', this.onClose)
    res.on('drain', this.onEvent)
  }

  /** The buffer to write into first. */
  first(): Buffer {
    return this.pool.take()
  }

  async send(buffer: Buffer, length: number, atLeast: number): Promise<Buffer> {
    if (length === 0) {
      if (buffer.length >= atLeast) return buffer
      this.pool.give(buffer)
    } else if (!this.write(buffer, length)) {
      await this.until(() => !this.res.writableNeedDrain)
    }
    await this.until(() => this.inFlight < IN_FLIGHT)
    return this.pool.take(atLeast)
  }

  async sendText(text: string): Promise<void> {
    this.check()
    if (!this.res.write(text)) await this.until(() => !this.res.writableNeedDrain)
  }

  /** Sends the last bytes and ends the response. */
  end(buffer: Buffer, length: number): void {
    if (length === 0 || this.closed || this.res.destroyed) this.pool.give(buffer)
    this.check()
    if (length > 0) this.write(buffer, length)
    this.res.end()
  }

  /** Stops listening to the response; `buffer` (the writer's, not sent) goes back to the pool. */
  release(buffer: Buffer | null): void {
    this.res.off('close', this.onClose)
    this.res.off('drain', this.onEvent)
    if (buffer !== null) this.pool.give(buffer)
  }

  private write(buffer: Buffer, length: number): boolean {
    this.check()
    this.inFlight++
    const chunk = length === buffer.length ? buffer : buffer.subarray(0, length)
    return this.res.write(chunk, () => {
      this.inFlight--
      this.pool.give(buffer)
      this.onEvent()
    })
  }

  private check(): void {
    if (this.closed || this.res.destroyed) throw new ClientGone()
  }

  private async until(ready: () => boolean): Promise<void> {
    for (this.check(); !ready(); this.check())
      await new Promise<void>((resolve) => {
        this.wake = resolve
      })
  }
}
