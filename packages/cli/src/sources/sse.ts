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
  let buffer = ''
  let event = ''
  let data: string[] = []
  let size = 0
  for await (const chunk of body) {
    buffer += chunk
    for (;;) {
      const end = buffer.search(/\r\n|\r|\n/)
      // A lone CR at the end of a chunk may be the first half of a CRLF: wait for more.
      if (end < 0 || (end === buffer.length - 1 && buffer[end] === '\r')) break
      const line = buffer.slice(0, end)
      buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1))
      if (line === '') {
        if (data.length > 0) yield { event: event || 'message', data: data.join('\n') }
        event = ''
        data = []
        size = 0
        continue
      }
      if (line.startsWith(':')) continue
      const colon = line.indexOf(':')
      const field = colon < 0 ? line : line.slice(0, colon)
      let value = colon < 0 ? '' : line.slice(colon + 1)
      if (value.startsWith(' ')) value = value.slice(1)
      if (field === 'event') event = value
      else if (field === 'data') {
        size += value.length + 1
        if (size > MAX_EVENT) throw new Error('an event of the stream is too large')
        data.push(value)
      }
    }
    if (buffer.length > MAX_EVENT) throw new Error('a line of the stream is too long')
  }
}
