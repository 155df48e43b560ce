import { isCircuitState, type SharedState, type WindowTotals } from '@tripswitch/core'

/** A script's reply: integers and strings. */
export type Reply = readonly (string | number)[]

/** A reply that does not have the expected shape (a foreign or tampered key). */
export class MalformedReplyError extends Error {
  constructor(what: string) {
    super(`Malformed reply from Redis: ${what}`)
    this.name = 'MalformedReplyError'
  }
}

function int(reply: Reply, at: number): number {
  const value = Number(reply[at])
  if (!Number.isSafeInteger(value) || value < 0) throw new MalformedReplyError(`field ${at}`)
  return value
}

/** The `{state, gen, retryAfterMs, openings}` that ends every reply, from index `at`. */
export function stateAt(reply: unknown, at: number): SharedState {
  if (!Array.isArray(reply)) throw new MalformedReplyError('not an array')
  const state = reply[at]
  if (!isCircuitState(state)) throw new MalformedReplyError(`state ${String(state)}`)
  return {
    state,
    generation: int(reply, at + 1),
    retryAfterMs: int(reply, at + 2),
    openings: int(reply, at + 3),
  }
}

/** The window totals of a RECORD reply. */
export function totalsOf(reply: Reply): WindowTotals {
  const calls = int(reply, 1)
  const failures = int(reply, 2)
  return {
    calls,
    failures,
    successes: Math.max(0, calls - failures),
    slowCalls: int(reply, 3),
    consecutiveFailures: int(reply, 4),
    netFailures: int(reply, 5),
  }
}

/** Reads an integer field of a reply. */
export const intAt: (reply: Reply, at: number) => number = int

/** Parses a published `id|state|gen|retryAfterMs|openings`; undefined when malformed. */
export function parseMessage(message: string): { id: string; state: SharedState } | undefined {
  const parts = message.split('|')
  if (parts.length !== 5) return undefined
  try {
    return { id: parts[0]!, state: stateAt(parts.slice(1), 0) }
  } catch {
    return undefined
  }
}

/** Totals of an empty window. */
export const NO_TOTALS: WindowTotals = Object.freeze({
  calls: 0,
  failures: 0,
  successes: 0,
  slowCalls: 0,
  consecutiveFailures: 0,
  netFailures: 0,
})
