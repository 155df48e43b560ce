import type { CircuitBreaker, CircuitBreakerEvents, Unsubscribe } from '@tripswitch/core'
import type { Log } from './log.ts'

type EventName = keyof CircuitBreakerEvents

// One entry per event core declares: the mapped type makes a new core event a compile error
// here, so "a listener on every event" stays true as core grows.
const describeEvent: { [K in EventName]: (payload: CircuitBreakerEvents[K]) => string } = {
  stateChange: ({ from, to }) => `${from} -> ${to}`,
  open: ({ retryAfterMs }) => `probe allowed in ${retryAfterMs} ms`,
  close: () => 'partner calls flow again',
  halfOpen: () => 'next call is a probe',
  success: ({ durationMs }) => `call succeeded in ${durationMs} ms`,
  failure: ({ error, durationMs }) => `call failed in ${durationMs} ms: ${messageOf(error)}`,
  reject: ({ error }) => `call refused: ${messageOf(error)}`,
  timeout: ({ timeoutMs }) => `call exceeded ${timeoutMs} ms`,
  fallback: ({ error }) => `fallback answered: ${messageOf(error)}`,
  storeError: ({ error }) => `store unavailable: ${messageOf(error)}`,
}

/** The events {@link logEveryEvent} listens to: every event a breaker emits. */
export const BREAKER_EVENTS = Object.keys(describeEvent) as EventName[]

/**
 * Subscribes a listener to every event of `breaker` that writes one line each:
 * `[circuit partner] <event>: <details>`. Returns the function that unsubscribes them all.
 */
export function logEveryEvent(breaker: CircuitBreaker, log: Log): Unsubscribe {
  const subscribe = <K extends EventName>(event: K): Unsubscribe =>
    breaker.on(event, (payload) =>
      log(`[circuit ${payload.name}] ${event}: ${describeEvent[event](payload)}`),
    )
  const unsubscribers = BREAKER_EVENTS.map(subscribe)
  return () => {
    for (const unsubscribe of unsubscribers) unsubscribe()
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
