import { CircuitOpenError, type Outcome } from '@tripswitch/core'
import { inboundOutcome } from '@tripswitch/core/adapter'
import type {
  FastifyReply,
  FastifyRequest,
  onErrorHookHandler,
  onRequestAbortHookHandler,
  onSendHookHandler,
} from 'fastify'
import { prepareOpen, prepareTimeout, replacePayload, sendAnswer } from './answer.ts'
import type { PluginContext } from './circuit.ts'
import type { Flight } from './flight.ts'

// Outcomes are settled in onSend, not onResponse: the request whose failure opens the circuit
// and a request found too slow must be answered differently, and onSend is the last moment the
// payload can still be replaced.

/** A reply to replace: the request timed out, or its failure left the circuit open. */
interface Verdict {
  readonly kind: 'timeout' | 'open'
  readonly flight: Flight
}

/** Settles every flight of `request`: `timedOut` fails as too slow, the others are ignored. */
export function settleAll(
  context: PluginContext,
  request: FastifyRequest,
  timedOut: Flight | undefined,
): void {
  for (let f = context.flights.get(request); f !== undefined; f = f.next)
    if (f === timedOut) f.timeOut()
    else f.settle('ignore')
  context.flights.delete(request)
}

/** The request has run for `timeout` without answering: it fails and is answered 503. */
export function onTimer(
  context: PluginContext,
  flight: Flight,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  if (flight.done) return
  // A hijacked reply answers for itself and its status is unknown: count nothing.
  if (reply.sent) {
    flight.settle('ignore')
    return
  }
  settleAll(context, request, flight)
  const { name } = flight.breaker
  const error = prepareTimeout(
    reply,
    name,
    flight.circuit.settings.timeout,
    context.settings.timeoutMessage,
  )
  // From a timer: a rejection here would be unhandled and end the process.
  sendAnswer(request, reply, flight.circuit.settings.hooks.onTimeout, error).catch(
    (failed: unknown) => request.log.error({ err: failed }, 'tripswitch: timeout answer failed'),
  )
}

/** Settles one flight from its reply; says whether the reply must be replaced. */
function verdictOf(
  flight: Flight,
  request: FastifyRequest,
  reply: FastifyReply,
): Verdict | undefined {
  if (flight.done) return undefined
  if (request.raw.aborted) {
    flight.settle('ignore')
    return undefined
  }
  // The timer may not have run: a handler that blocked the event loop answers late in one go.
  if (flight.timedOut) {
    flight.timeOut()
    return { kind: 'timeout', flight }
  }
  let outcome: Outcome
  let error = flight.error
  try {
    outcome = outcomeOf(flight, request, reply)
  } catch (thrown) {
    // A throwing detectError must neither leak the permit (a half-open slot would stay taken
    // until its lease ran out) nor fail the reply: it counts a failure, reported with what it threw.
    outcome = 'failure'
    error = thrown
  }
  const probe = flight.permit.probe
  // The breaker's `failure` event reports the route's error when it raised one; a plain 5xx
  // reply has no error to report (and its body is never passed on).
  flight.settle(outcome, error)
  // A failed probe reopens the circuit but keeps its own answer, as @fastify/circuit-breaker does;
  // in shadow mode the circuit never refuses, so the tripping reply keeps its answer too.
  if (outcome !== 'failure' || probe || flight.breaker.state !== 'open') return undefined
  if (flight.breaker.settings.mode === 'shadow') return undefined
  return { kind: 'open', flight }
}

/** The reply's outcome: the user's `detectError`, else the status. */
function outcomeOf(flight: Flight, request: FastifyRequest, reply: FastifyReply): Outcome {
  const { detectError } = flight.circuit.settings.hooks
  // By default the reply's status decides, as in @fastify/circuit-breaker: an error handler may
  // have answered a thrown error with another status than the error's own.
  const error = detectError === undefined ? undefined : flight.error
  return inboundOutcome(
    { statusCode: reply.statusCode, error, request, response: reply },
    detectError,
  )
}

function replacement(
  context: PluginContext,
  verdict: Verdict,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const { breaker, circuit } = verdict.flight
  if (verdict.kind === 'timeout') {
    const error = prepareTimeout(
      reply,
      breaker.name,
      circuit.settings.timeout,
      context.settings.timeoutMessage,
    )
    return replacePayload(request, reply, circuit.settings.hooks.onTimeout, error)
  }
  const refusal = new CircuitOpenError(breaker.name, breaker.state, breaker.retryAfterMs)
  const error = prepareOpen(reply, refusal, context.settings.openMessage)
  return replacePayload(request, reply, circuit.settings.hooks.onCircuitOpen, error)
}

/** The onSend hook: settles the request's flights and replaces the payload when one asks to. */
export function onSendHook(context: PluginContext): onSendHookHandler {
  return function onSend(request, reply, payload, done) {
    let flight = context.flights.get(request)
    if (flight === undefined) return done(null, payload)
    context.flights.delete(request)
    let verdict: Verdict | undefined
    for (; flight !== undefined; flight = flight.next) {
      const next = verdictOf(flight, request, reply)
      verdict ??= next
    }
    if (verdict === undefined) return done(null, payload)
    replacement(context, verdict, request, reply).then(
      (replaced) => done(null, replaced),
      (error: Error) => done(error),
    )
  }
}

/** The onError hook: keeps the route's error for `detectError` and the `failure` event. */
export function onErrorHook(context: PluginContext): onErrorHookHandler {
  return function onError(request, _reply, error, done) {
    for (let f = context.flights.get(request); f !== undefined; f = f.next) f.error ??= error
    done()
  }
}

/** The onRequestAbort hook: a request the client gave up on says nothing about the route. */
export function onAbortHook(context: PluginContext): onRequestAbortHookHandler {
  return function onRequestAbort(request, done) {
    settleAll(context, request, undefined)
    done()
  }
}
