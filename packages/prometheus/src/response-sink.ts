import type { ServerResponse } from 'node:http'
import type { ByteSink } from './byte-writer.ts'

/** Size of a buffer (bytes): a chunk of the response. */
export const CHUNK_BYTES: number = 64 * 1024
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
 * Sends the buffers of a {@link ByteWriter} to an HTTP response; reused response after
 * response. A buffer goes back to the pool only once its own write callback fired: node:http
 * and net.Socket call it once the bytes were handed to the operating system (or dropped, the
 * socket being destroyed), and hold the buffer itself until then. Each write's callback names
 * its own buffer, so what comes back does not depend on middleware calling callbacks in order,
 * or all of them. A write that asks to (backpressure)
 * is followed by nothing before `drain`, which bounds what is in flight; the writing never waits
 * for a callback, as middleware wrapping `res.write` may drop it (compression does): a buffer
 * whose callback does not come is left to the garbage collector, and the next is a new one.
 * When the response closes first (the client went away), the waits end with
 * {@link ClientGone}. Its listeners are made once: code optimized for a scrape never refers to
 * an object of that scrape only (V8 throws such code away when the object is collected).
 */
export class ResponseSink implements ByteSink {
  private res: ServerResponse | null = null
  /** Buffers handed to the response whose write callback has not fired yet. */
  private readonly sent = new Set<Buffer>()
  private closed = false
  /** A write returned false: nothing more is written before `drain`. */
  private needDrain = false
  private wake: (() => void) | null = null
  /** Called once nothing of the previous response is in flight any more. */
  private idle: (() => void) | null = null
  private readonly onEvent = (): void => {
    const wake = this.wake
    this.wake = null
    wake?.()
  }
  private readonly onDrain = (): void => {
    this.needDrain = false
    this.onEvent()
  }
  private readonly onClose = (): void => {
    this.closed = true
    this.onEvent()
  }
  private written(buffer: Buffer): void {
    if (!this.sent.delete(buffer)) return
    this.pool.give(buffer)
    this.onEvent()
    if (this.sent.size === 0 && this.idle !== null) {
      const idle = this.idle
      this.idle = null
      idle()
    }
  }
  private readonly setWake = (resolve: () => void): void => {
    this.wake = resolve
  }

  constructor(private readonly pool: BufferPool) {}

  /** Starts sending to `res`; returns the buffer to write into first. */
  open(res: ServerResponse): Buffer {
    this.res = res
    this.closed = false
    this.needDrain = false
    res.on('close', this.onClose)
    res.on('drain', this.onDrain)
    return this.pool.take()
  }

  /**
   * Stops listening to the response; `buffer` (the writer's, not sent) goes back to the pool.
   * Calls `done` once every buffer sent came back: the sink can serve another response then.
   */
  close(buffer: Buffer | null, done: () => void): void {
    this.res?.off('close', this.onClose)
    this.res?.off('drain', this.onDrain)
    this.res = null
    if (buffer !== null) this.pool.give(buffer)
    if (this.sent.size === 0) done()
    else this.idle = done
  }

  async send(buffer: Buffer, length: number, atLeast: number): Promise<Buffer> {
    if (length === 0) {
      if (buffer.length >= atLeast) return buffer
      this.pool.give(buffer)
    } else {
      this.write(buffer, length)
      await this.drained()
    }
    return this.pool.take(atLeast)
  }

  async sendText(text: string): Promise<void> {
    if (!this.response().write(text)) this.needDrain = true
    await this.drained()
  }

  /** Sends the last bytes and ends the response. */
  end(buffer: Buffer, length: number): void {
    if (length > 0) this.write(buffer, length)
    else this.pool.give(buffer)
    this.response().end()
  }

  private write(buffer: Buffer, length: number): void {
    const res = this.res
    if (res === null || this.closed || res.destroyed) {
      this.pool.give(buffer)
      throw new ClientGone()
    }
    this.sent.add(buffer)
    const chunk = length === buffer.length ? buffer : buffer.subarray(0, length)
    if (!res.write(chunk, () => this.written(buffer))) this.needDrain = true
  }

  /** The response, while it is open. */
  private response(): ServerResponse {
    const res = this.res
    if (res === null || this.closed || res.destroyed) throw new ClientGone()
    return res
  }

  /** Waits for `drain` when a write asked for it. */
  private async drained(): Promise<void> {
    for (this.response(); this.needDrain; this.response()) await new Promise<void>(this.setWake)
  }
}
