import { Gauge, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { type ByteSink, ByteWriter } from '../src/byte-writer.ts'

/** A sink keeping every byte sent, handing back buffers of `size` bytes. */
function collecting(size: number): { sink: ByteSink; bytes(): Buffer } {
  const parts: Buffer[] = []
  const sink: ByteSink = {
    async send(buffer, length, atLeast) {
      parts.push(Buffer.from(buffer.subarray(0, length)))
      return Buffer.alloc(Math.max(size, atLeast))
    },
    async sendText(text) {
      parts.push(Buffer.from(text))
    },
    end(buffer, length) {
      parts.push(Buffer.from(buffer.subarray(0, length)))
    },
  }
  return { sink, bytes: () => Buffer.concat(parts) }
}

const VALUES = [
  0,
  -0,
  1,
  7,
  10,
  99,
  100,
  12_345,
  2 ** 31,
  2 ** 32 + 1,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  2 ** 60,
  1e21,
  1e300,
  -1,
  -12_345,
  0.5,
  1 / 3,
  2 / 3,
  1e-7,
  5e-324,
  -1.2345678901234567e-308,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
]

describe('ByteWriter', () => {
  it('writes every sample value as prom-client does', async () => {
    for (const value of VALUES) {
      const register = new Registry()
      new Gauge({ name: 'g', help: 'h', registers: [register] }).set(value)
      const line = (await register.metrics()).split('\n')[2]!
      const { sink, bytes } = collecting(64)
      const writer = new ByteWriter(sink, Buffer.alloc(64))
      writer.utf8('g ')
      writer.value(value)
      writer.end()
      expect(bytes().toString(), String(value)).toBe(line)
    }
  })

  it('writes text in UTF-8 whatever it holds, and sends what does not fit as it is', async () => {
    const { sink, bytes } = collecting(16)
    const writer = new ByteWriter(sink, Buffer.alloc(16))
    const texts = ['ascii', 'é☕🚦', 'x'.repeat(40), '\n\n', 'naïve']
    for (const text of texts) {
      if (writer.room < text.length * 3) await writer.reserve(Math.min(16, text.length * 3))
      await writer.text(text)
    }
    writer.end()
    expect(bytes().toString()).toBe(texts.join(''))
  })

  it('hands over its buffer when asked for more room than is left', async () => {
    const { sink, bytes } = collecting(8)
    const writer = new ByteWriter(sink, Buffer.alloc(8))
    for (let i = 0; i < 100; i++) {
      if (writer.room < 8) await writer.reserve(8)
      writer.value(i)
      writer.utf8(',')
    }
    writer.end()
    expect(bytes().toString()).toBe(`${Array.from({ length: 100 }, (_, i) => i).join(',')},`)
    expect(writer.abandon()).toBeNull()
  })
})
