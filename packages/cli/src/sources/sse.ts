/** One event of a Server-Sent Events stream. */
export interface ServerEvent {
  /** The `event:` field, `message` when absent. */
  readonly event: string
  /** The `data:` lines joined by `\n`. */
  readonly data: string
}

/** Longest event the CLI buffers (a snapshot of a thousand circuits is well under this), in characters. */
const MAX_EVENT = 16 * 1024 * 1024

/**
 * Parses a `text/event-stream` body as the HTML standard says: lines end with CRLF, LF or CR;
 * `:` starts a comment; a blank line dispatches the event gathered so far; an event without data
 * is not dispatched. `id` and `retry` are ignored (the CLI does not resume streams).
 * @throws {Error} when one event grows past {@link MAX_EVENT} characters.
 */
export async function* serverEvents(body: AsyncIterable<string>): AsyncGenerator<ServerEvent> {
  const parser = new EventParser()
  for await (const chunk of body) yield* parser.push(chunk, false)
  // At the end a trailing CR is a whole line end (no LF can follow it any more).
  yield* parser.push('', true)
}

class EventParser {
  private buffer = ''
  private event = ''
  private data: string[] = []
  private size = 0

  /** Takes a chunk; returns the events it completes. */
  push(chunk: string, ended: boolean): ServerEvent[] {
    const events: ServerEvent[] = []
    this.buffer += chunk
    for (;;) {
      const end = this.buffer.search(/\r\n|\r|\n/)
      if (end < 0) break
      // A CR last in the chunk may be the first half of a CRLF: wait for more, unless ended.
      if (!ended && end === this.buffer.length - 1 && this.buffer[end] === '\r') break
      const line = this.buffer.slice(0, end)
      this.buffer = this.buffer.slice(end + (this.buffer.startsWith('\r\n', end) ? 2 : 1))
      const event = this.line(line)
      if (event !== null) events.push(event)
    }
    if (this.buffer.length > MAX_EVENT) throw new Error('a line of the stream is too long')
    return events
  }

  /** Takes one line; returns the event it completes, if any. */
  private line(line: string): ServerEvent | null {
    if (line === '') {
      const event =
        this.data.length > 0 ? { event: this.event || 'message', data: this.data.join('\n') } : null
      this.event = ''
      this.data = []
      this.size = 0
      return event
    }
    if (line.startsWith(':')) return null
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    let value = colon < 0 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'event') this.event = value
    else if (field === 'data') {
      this.size += value.length + 1
      if (this.size > MAX_EVENT) throw new Error('an event of the stream is too large')
      this.data.push(value)
    }
    return null
  }
}
