import type { IncomingMessage } from 'node:http'

/** Largest action body accepted, in bytes. */
export const MAX_BODY_BYTES = 4_096
/** Longest `reason` accepted in an action body, in characters. */
export const MAX_REASON_LENGTH = 200

// With the u flag a surrogate pair is one code point: only an unpaired half matches.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u

/** A valid action body. */
export interface ActionBody {
  readonly reason?: string
}

/** Why a body was refused. */
export type BodyProblem = 'too-large' | 'invalid'

/**
 * Reads and checks an action body: a JSON object, `{}` or `{ "reason": string }`, at most
 * {@link MAX_BODY_BYTES}. A body a framework already parsed (Express's `express.json()`
 * consumes the stream and leaves `req.body`) is checked the same way.
 */
export async function readActionBody(req: IncomingMessage): Promise<ActionBody | BodyProblem> {
  const text = req.readableEnded ? alreadyParsed(req) : await readText(req)
  if (text === 'too-large') return text
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return 'invalid'
  }
  return checkBody(parsed)
}

function checkBody(value: unknown): ActionBody | BodyProblem {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'invalid'
  const keys = Object.keys(value)
  if (keys.some((key) => key !== 'reason')) return 'invalid'
  if (keys.length === 0) return {}
  const reason: unknown = (value as { reason: unknown }).reason
  if (
    typeof reason !== 'string' ||
    reason.length > MAX_REASON_LENGTH ||
    LONE_SURROGATE.test(reason)
  )
    return 'invalid'
  return { reason }
}

/** The body a framework left on `req.body`, as JSON text. */
function alreadyParsed(req: IncomingMessage): string | 'too-large' {
  const body: unknown = (req as { body?: unknown }).body
  let text: string
  if (typeof body === 'string') text = body
  else if (Buffer.isBuffer(body)) text = body.toString('utf8')
  else if (body === undefined) text = ''
  else text = JSON.stringify(body) ?? ''
  return Buffer.byteLength(text) > MAX_BODY_BYTES ? 'too-large' : text
}

/** The request body as UTF-8 text, or `too-large` as soon as it passes the limit. */
function readText(req: IncomingMessage): Promise<string | 'too-large'> {
  const declared = Number(req.headers['content-length'])
  if (declared > MAX_BODY_BYTES) return Promise.resolve('too-large')
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        req.off('data', onData)
        resolve('too-large')
        return
      }
      chunks.push(chunk)
    }
    req.on('data', onData)
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.once('error', reject)
  })
}
