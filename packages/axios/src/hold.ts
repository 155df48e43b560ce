import { type CircuitBreaker, CircuitOpenError, parseRetryAfter } from '@tripswitch/core'
import type { AxiosResponse } from 'axios'

// Core cannot lengthen an open deadline, so the adapter keeps its own per breaker: until then
// it refuses locally. Weak keys: a breaker the registry evicts takes its hold with it. Shared
// by every attachment, like the breakers themselves.
const holds = new WeakMap<CircuitBreaker, number>()

/**
 * After a failure: when it left the circuit open and the answer was a 429 or 503 whose
 * `Retry-After` asks for longer than the breaker will stay open, hold the circuit until then.
 */
export function holdForRetryAfter(breaker: CircuitBreaker, response: AxiosResponse): void {
  if (response.status !== 429 && response.status !== 503) return
  if (breaker.state !== 'open') return
  const now = breaker.settings.clock.now()
  const header: unknown = response.headers['retry-after']
  const wait = parseRetryAfter(typeof header === 'string' ? header : undefined, now)
  if (wait === undefined || wait <= breaker.retryAfterMs) return
  holds.set(breaker, Math.max(holds.get(breaker) ?? 0, now + wait))
}

/**
 * The refusal of a held circuit, or undefined when it is not held. A hold ends at its deadline,
 * or as soon as the circuit is no longer open (reset, forced, closed through another caller).
 */
export function heldRefusal(breaker: CircuitBreaker): CircuitOpenError | undefined {
  const until = holds.get(breaker)
  if (until === undefined) return undefined
  const wait = until - breaker.settings.clock.now()
  if (wait > 0 && breaker.state === 'open') return new CircuitOpenError(breaker.name, 'open', wait)
  holds.delete(breaker)
  return undefined
}
