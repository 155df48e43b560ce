import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { type Attributes, type Tracer, trace } from '@opentelemetry/api'
import {
  type CallStartMessage,
  DIAGNOSTICS_CHANNELS,
  type RejectMessage,
  type TransitionMessage,
} from '@tripswitch/core'
import { CIRCUIT } from './attributes.ts'
import type { Membership } from './membership.ts'

/** Name of the span event recorded when a call is refused. */
export const REJECT_EVENT = 'tripswitch.circuit.rejected'
/** Name of the span event (or of the span, outside any) recorded when a circuit opens. */
export const OPEN_EVENT = 'tripswitch.circuit.open'

/**
 * Records on the active span, from core's diagnostics channels: refusals and openings as
 * events, and the circuit's name on the span of every guarded call (`attributes`). The
 * channels publish synchronously in the caller's context, so the active span is the caller's.
 * Returns the function unsubscribing.
 */
export function traceRegistry(
  membership: Membership,
  tracer: Tracer,
  attributes: boolean,
): () => void {
  const onReject = (message: unknown) => {
    const { name, breaker, state, retryAfterMs, shadow } = message as RejectMessage
    if (!membership.has(name, breaker)) return
    trace.getActiveSpan()?.addEvent(REJECT_EVENT, {
      circuit: name,
      state,
      retry_after_ms: retryAfterMs,
      shadow,
    })
  }
  const onTransition = (message: unknown) => {
    const m = message as TransitionMessage
    if ((m.to !== 'open' && m.to !== 'forced_open') || !membership.has(m.name, m.breaker)) return
    recordOpening(tracer, m)
  }
  const onStart = (message: unknown) => {
    const { name, breaker } = message as CallStartMessage
    if (membership.has(name, breaker)) trace.getActiveSpan()?.setAttribute(CIRCUIT, name)
  }
  const subscriptions: Array<[string, (message: unknown) => void]> = [
    [DIAGNOSTICS_CHANNELS.reject, onReject],
    [DIAGNOSTICS_CHANNELS.transition, onTransition],
  ]
  if (attributes) subscriptions.push([DIAGNOSTICS_CHANNELS.callStart, onStart])
  for (const [channel, listener] of subscriptions) subscribe(channel, listener)
  return () => {
    for (const [channel, listener] of subscriptions) unsubscribe(channel, listener)
  }
}

function recordOpening(tracer: Tracer, { name, from, to, reason }: TransitionMessage): void {
  const attributes: Attributes = { circuit: name, from, state: to, reason: reason ?? 'unknown' }
  const span = trace.getActiveSpan()
  if (span !== undefined) {
    span.addEvent(OPEN_EVENT, attributes)
    return
  }
  // Opened outside any span (told by the shared store, forced by an operator): a span of its
  // own, so that the opening is still in the traces.
  tracer.startSpan(OPEN_EVENT, { attributes: { [CIRCUIT]: name, ...attributes } }).end()
}
