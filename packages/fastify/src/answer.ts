import type { CircuitOpenError } from '@tripswitch/core'
import { openCircuitResponse } from '@tripswitch/core/adapter'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { CircuitBreakerOpenError, CircuitBreakerTimeoutError } from './errors.ts'
import type { CircuitAnswerHook } from './options.ts'

// An answer is prepared the same way wherever it is sent: status 503 (a hook may change it) and
// headers first, so a custom error handler or hook sees them too.

/** Readies `reply` for an open-circuit answer; returns the error to send. */
export function prepareOpen(
  reply: FastifyReply,
  refusal: CircuitOpenError,
  message: string,
): CircuitBreakerOpenError {
  const { statusCode, headers } = openCircuitResponse(refusal, message)
  reply.code(statusCode).headers(headers)
  return CircuitBreakerOpenError.create(message, refusal.circuit, refusal.retryAfterMs)
}

/** Readies `reply` for a timeout answer; returns the error to send. */
export function prepareTimeout(
  reply: FastifyReply,
  circuit: string,
  timeout: number,
  message: string,
): CircuitBreakerTimeoutError {
  reply.code(503).header('cache-control', 'no-store')
  return CircuitBreakerTimeoutError.create(message, circuit, timeout)
}

/**
 * Sends an answer from a preHandler or the timeout timer: what `hook` returns, or `error`.
 * `reply.send(error)` routes an error through the error handler, like a throw would.
 */
export async function sendAnswer(
  request: FastifyRequest,
  reply: FastifyReply,
  hook: CircuitAnswerHook | undefined,
  error: Error,
): Promise<void> {
  let answer: unknown = error
  if (hook !== undefined) {
    try {
      answer = await hook(request, reply)
    } catch (thrown) {
      answer = thrown
    }
  }
  // The hook may have answered itself; the handler may have answered while the hook ran.
  if (answer === reply || reply.sent) return
  reply.send(answer)
}

/**
 * The payload replacing a reply inside onSend, where the reply is already on its way and cannot
 * be sent again. Without a hook, or when the hook returns or throws an error, this rejects: the
 * error goes to the error handler, which answers instead.
 */
export async function replacePayload(
  request: FastifyRequest,
  reply: FastifyReply,
  hook: CircuitAnswerHook | undefined,
  error: Error,
): Promise<unknown> {
  if (hook === undefined) throw error
  // The headers describe the payload being replaced; the hook may set its own.
  reply.removeHeader('content-type')
  reply.removeHeader('content-length')
  const answer = await hook(request, reply)
  if (answer instanceof Error) throw answer
  return payloadOf(reply, answer)
}

function payloadOf(reply: FastifyReply, answer: unknown): unknown {
  if (answer === undefined || answer === null || answer === reply) return null
  if (typeof answer === 'string') return typed(reply, 'text/plain; charset=utf-8', answer)
  const streamed = typeof (answer as { pipe?: unknown }).pipe === 'function'
  if (Buffer.isBuffer(answer) || streamed) return typed(reply, 'application/octet-stream', answer)
  return typed(reply, 'application/json; charset=utf-8', reply.serialize(answer))
}

// Sets the type `reply.send()` would have guessed, unless the hook chose one.
function typed<T>(reply: FastifyReply, type: string, payload: T): T {
  if (!reply.hasHeader('content-type')) reply.type(type)
  return payload
}
