import { describe, expect, it } from 'vitest'
import { type ServerEvent, serverEvents } from '../src/sources/sse.ts'

async function* chunks(...parts: string[]): AsyncGenerator<string> {
  for (const part of parts) yield part
}

async function events(...parts: string[]): Promise<ServerEvent[]> {
  const out: ServerEvent[] = []
  for await (const event of serverEvents(chunks(...parts))) out.push(event)
  return out
}

describe('serverEvents', () => {
  it('dispatches on a blank line, with the event name and the data lines joined', async () => {
    expect(await events('event: snapshot\ndata: {"a":1}\n\ndata: one\ndata: two\n\n')).toEqual([
      { event: 'snapshot', data: '{"a":1}' },
      { event: 'message', data: 'one\ntwo' },
    ])
  })

  it('takes CRLF, CR and LF line ends, also split across chunks (a CR then an LF)', async () => {
    expect(await events('event: a\r', '\ndata: 1\r', '\n\r', '\nevent: b\rdata: 2\r\r')).toEqual([
      { event: 'a', data: '1' },
      { event: 'b', data: '2' },
    ])
  })

  it('reassembles fields split anywhere between chunks', async () => {
    const text = 'event: transition\ndata: {"name":"x","from":"closed","to":"open"}\n\n'
    const parts = [...text]
    expect(await events(...parts)).toEqual([
      { event: 'transition', data: '{"name":"x","from":"closed","to":"open"}' },
    ])
  })

  it('skips comments, unknown fields, ids, and events without data; keeps a value without the space', async () => {
    expect(await events(': ping\n\nid: 7\nretry: 10\nfoo: bar\n\nevent: e\n\ndata:x\n\n')).toEqual([
      { event: 'message', data: 'x' },
    ])
  })

  it('does not dispatch an event cut off by the end of the stream', async () => {
    expect(await events('data: complete\n\ndata: cut')).toEqual([
      { event: 'message', data: 'complete' },
    ])
  })

  it('refuses an event past 16 MiB instead of buffering without end', async () => {
    const line = `data: ${'x'.repeat(1024 * 1024)}\n`
    await expect(events(...Array.from({ length: 17 }, () => line))).rejects.toThrow(/too large/)
    await expect(events(`data: ${'y'.repeat(17 * 1024 * 1024)}`)).rejects.toThrow(/too long/)
  })
})
