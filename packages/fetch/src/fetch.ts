import { type CircuitBreaker, isCircuitOpenError, type Permit } from '@tripswitch/core'
import { checks } from '@tripswitch/core/adapter'
import type {
  BreakerRequest,
  CircuitInit,
  FetchCircuitOptions,
  RequestCircuitOptions,
} from './options.ts'
import {
  type OptionSpec,
  type ParsedOptions,
  parseOptions,
  parseRequestOptions,
  REFUSED,
  SHARED_CHECKS,
} from './parse-options.ts'
import { callerSignal, describeRequest } from './request-info.ts'
import {
  type Call,
  discard,
  type Outcome,
  type ResponseLike,
  settle,
  settleError,
  settleStatus,
} from './settle.ts'
import { type Deadline, startDeadline } from './timeout.ts'

export type { ResponseLike }

/** A fetch function: the global `fetch`, undici's, or one of the same shape. */
export type FetchFunction<I, Init, R> = (input: I, init?: Init) => Promise<R>

/**
 * The guarded fetch: the wrapped fetch's own signature, whose `init` also takes a typed
 * `circuitBreaker` field. Assignable to the wrapped fetch's type (`typeof fetch`).
 */
export type GuardedFetch<I, Init, R> = (input: I, init?: Init & CircuitInit<R>) => Promise<R>

const SPEC: OptionSpec = {
  own: {
    ...SHARED_CHECKS,
    timeout: checks.duration,
    onCircuitOpen: checks.func,
  },
  refused: REFUSED,
}

/**
 * Guards `fetch` with circuit breakers, one per origin by default. Each request acquires a
 * permit before anything is sent (an open circuit rejects at once with `CircuitOpenError`, or
 * `onCircuitOpen` answers; past `maxConcurrent`, `CircuitBusyError`) and settles it once when
 * the response headers arrive: network errors, timeouts, 5xx, 408 and 429 fail, other answers
 * succeed, caller aborts are ignored. The response is returned untouched, its body unread.
 *
 * @returns a function of the same signature as `fetch`.
 * @throws {InvalidOptionsError} when an option is invalid (naming it), at once.
 */
export function withCircuitBreaker<I, Init extends object, R extends ResponseLike>(
  fetch: FetchFunction<I, Init, R>,
  options?: FetchCircuitOptions<R>,
): GuardedFetch<I, Init, R> {
  checks.func(fetch, 'fetch')
  const parsed = parseOptions<Outcome<R>>(options, SPEC)
  return (input, init) => guarded(fetch, parsed, input, init)
}

async function guarded<I, Init extends object, R extends ResponseLike>(
  fetch: FetchFunction<I, Init, R>,
  parsed: ParsedOptions<Outcome<R>>,
  input: I,
  init: (Init & CircuitInit<R>) | undefined,
): Promise<R> {
  // Own property only: `circuitBreaker` set on Object.prototype must not opt every request out.
  // fetch takes a null init as none; so does the wrapper.
  const own =
    init === undefined || init === null ? undefined : checks.ownValue(init, 'circuitBreaker')
  if (own === false) return fetch(input, init)
  const signal = callerSignal(input, init as { signal?: AbortSignal | null } | undefined)
  // Already aborted: fetch rejects with the caller's reason and sends nothing; nothing to count.
  if (signal?.aborted === true) return fetch(input, init)
  const request = describeRequest(input, init as { method?: string } | undefined)
  const { breaker, outcome } = choose(parsed, own, request)
  let permit: Permit
  try {
    permit = await breaker.acquire()
  } catch (error) {
    return refused(error, outcome, request)
  }
  const call: Call<R> = { permit, breaker, outcome, request, signal }
  if (outcome.timeout !== undefined) return sendTimed(fetch, input, init, call)
  // The common path, without a deadline: one await for the answer, settled synchronously.
  let response: R
  try {
    response = await fetch(input, init)
  } catch (error) {
    settleError(call, error)
    throw error
  }
  if (outcome.detectError !== undefined) return settle(response, call)
  settleStatus(response, call)
  return response
}

/** The request's breaker and rules: the wrapper's, or those of `init.circuitBreaker`. */
function choose<R>(
  parsed: ParsedOptions<Outcome<R>>,
  own: unknown,
  request: BreakerRequest,
): { breaker: CircuitBreaker; outcome: Outcome<R> } {
  if (own === undefined)
    return {
      breaker: parsed.registry.get(parsed.key(request), parsed.breakerOptions),
      outcome: parsed.outcome,
    }
  const options = parseRequestOptions(own as RequestCircuitOptions<R>, parsed, SPEC)
  const key = options.key ?? parsed.key(request)
  return { breaker: parsed.registry.get(key, options.breakerOptions), outcome: options.outcome }
}

/** A refusal: `onCircuitOpen` may answer an open circuit; anything else rejects. */
async function refused<R>(
  error: unknown,
  outcome: Outcome<R>,
  request: BreakerRequest,
): Promise<R> {
  const answer = outcome.onCircuitOpen
  if (answer === undefined || !isCircuitOpenError(error)) throw error
  const response = await answer(error, request)
  if (response === undefined) throw error
  return response
}

/** Sends under a deadline: past it the request is aborted, fails and rejects with the timeout. */
async function sendTimed<I, Init extends object, R extends ResponseLike>(
  fetch: FetchFunction<I, Init, R>,
  input: I,
  init: Init | undefined,
  call: Call<R>,
): Promise<R> {
  let deadline: Deadline | undefined
  let response: R
  try {
    // Inside the try: whatever throws from here on settles the permit.
    deadline = startDeadline(call.breaker, call.outcome.timeout as number, call.signal)
    response = await fetch(input, { ...init, signal: deadline.signal } as Init)
  } catch (error) {
    deadline?.release()
    const timedOut = deadline?.error
    if (timedOut === undefined) settleError(call, error)
    else call.permit.failure(timedOut)
    throw timedOut ?? error
  }
  // A fetch that ignored the signal and answered late still timed out.
  if (deadline.error !== undefined) {
    deadline.release()
    call.permit.failure(deadline.error)
    discard(response)
    throw deadline.error
  }
  try {
    // The deadline also bounds detectError: one that never settles cannot hold the permit.
    const settled = await settle(response, call, deadline)
    // The timer stops; the caller's signal still aborts the body it is about to read.
    deadline.cancel()
    return settled
  } catch (error) {
    deadline.release()
    throw error
  }
}
