/** Where a {@link ByteWriter} sends what it wrote. */
export interface ByteSink {
  /**
   * Takes the first `length` bytes of `buffer`, which the writer no longer touches, and
   * resolves with the buffer to write into next, of at least `atLeast` bytes.
   */
  send(buffer: Buffer, length: number, atLeast: number): Promise<Buffer>
  /** Takes a string to send as it is, after every byte sent before it. */
  sendText(text: string): Promise<void>
  /** Takes the last `length` bytes of `buffer`: the end of the text. */
  end(buffer: Buffer, length: number): void
}

/** The buffer of a writer while it has none (sending, or done). */
const NONE = Buffer.alloc(0)

/** Largest integer written digit by digit: beyond it, division by 10 is no longer exact. */
const MAX_DIGITS_VALUE = Number.MAX_SAFE_INTEGER
const ZERO = 0x30

/**
 * A sample value as prom-client writes it (`getValueAsString`: `Nan`, `+Inf`, `-Inf`, or the
 * number's shortest text).
 */
export function valueText(value: number): string {
  if (Number.isNaN(value)) return 'Nan'
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf'
  return `${value}`
}

/**
 * Writes text into a buffer byte by byte, handing the buffer to a {@link ByteSink} when it has
 * no room left. The writes are synchronous and never check the room: a caller first makes sure
 * of it with {@link room} and {@link reserve}, once for many writes, so that a line costs no
 * promise. Integers are written digit by digit, strings of ASCII characters code by code:
 * neither makes a string.
 */
export class ByteWriter {
  private buffer: Buffer
  private pos = 0

  constructor(
    private readonly sink: ByteSink,
    first: Buffer,
  ) {
    this.buffer = first
  }

  /** Starts writing anew into `buffer` (a writer is reused from scrape to scrape). */
  restart(buffer: Buffer): void {
    this.buffer = buffer
    this.pos = 0
  }

  /** Bytes that can be written before {@link reserve} is needed. */
  get room(): number {
    return this.buffer.length - this.pos
  }

  /** Sends what was written and waits for a buffer with room for `bytes`. */
  async reserve(bytes: number): Promise<void> {
    const { buffer, pos } = this
    // The buffer is the sink's now, even when the wait fails.
    this.buffer = NONE
    this.pos = 0
    this.buffer = await this.sink.send(buffer, pos, bytes)
  }

  /** Sends what was written as the end of the text; the writer writes nothing more. */
  end(): void {
    const { buffer, pos } = this
    this.buffer = NONE
    this.pos = 0
    this.sink.end(buffer, pos)
  }

  /** Takes back the writer's buffer, for reuse, after a failure; null when it has none. */
  abandon(): Buffer | null {
    const { buffer } = this
    this.buffer = NONE
    this.pos = 0
    return buffer === NONE ? null : buffer
  }

  /** Sends what was written so far (the buffer is the sink's until it gives it back). */
  async flush(): Promise<void> {
    if (this.pos > 0) await this.reserve(0)
  }

  /** Writes `text` of any length: copied when it fits, otherwise sent as it is. */
  async text(text: string): Promise<void> {
    // At most 3 bytes per UTF-16 unit (a surrogate pair is 4 bytes for 2 units).
    if (text.length * 3 <= this.room) {
      this.utf8(text)
      return
    }
    await this.flush()
    await this.sink.sendText(text)
  }

  /** Writes bytes already encoded. */
  bytes(bytes: Uint8Array): void {
    this.buffer.set(bytes, this.pos)
    this.pos += bytes.length
  }

  /**
   * Writes `text` in UTF-8 (room for `3 * text.length` bytes needed). Code by code while the
   * text is ASCII (most circuit names are), by the encoder from the first character that is not.
   */
  utf8(text: string): void {
    const buffer = this.buffer
    const start = this.pos
    let pos = start
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i)
      if (code >= 0x80) {
        this.pos = start + buffer.write(text, start)
        return
      }
      buffer[pos++] = code
    }
    this.pos = pos
  }

  /** Writes a sample value (room for 32 bytes needed), as {@link valueText} would. */
  value(value: number): void {
    if (Number.isInteger(value) && value >= 0 && value <= MAX_DIGITS_VALUE) this.digits(value)
    else this.utf8(valueText(value))
  }

  /** Writes a non-negative safe integer, digit by digit from the last. */
  private digits(value: number): void {
    let length = 1
    for (let rest = value; rest >= 10; rest = (rest - (rest % 10)) / 10) length++
    const buffer = this.buffer
    let pos = this.pos + length
    this.pos = pos
    let rest = value
    do {
      const digit = rest % 10
      buffer[--pos] = ZERO + digit
      rest = (rest - digit) / 10
    } while (rest > 0)
  }
}
