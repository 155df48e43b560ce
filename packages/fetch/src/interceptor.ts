import type { CircuitBreaker } from '@tripswitch/core'
import type { Dispatcher } from 'undici'
import { dispatchRequest, failUndispatched, GuardHandler } from './guard-handler.ts'
import type { InterceptorOptions } from './interceptor-options.ts'
import type { StatusRules } from './outcome.ts'
import {
  type OptionSpec,
  type ParsedOptions,
  parseOptions,
  REFUSED,
  SHARED_CHECKS,
} from './parse-options.ts'

/** The interceptor's own options, as parsed. */
export type InterceptorRules = Pick<InterceptorOptions, 'detectError'> & StatusRules

const SPEC: OptionSpec = {
  own: SHARED_CHECKS,
  refused: {
    ...REFUSED,
    timeout: "absent (use undici's headersTimeout and bodyTimeout: their errors count as failures)",
    onCircuitOpen: 'absent (catch CircuitOpenError instead)',
  },
}

/**
 * An undici interceptor guarding every request of a dispatcher with circuit breakers, one per
 * origin by default: `new Agent().compose(circuitBreaker(options))`. A request acquires a permit
 * before it is dispatched (refused: it fails with `CircuitOpenError` or `CircuitBusyError`,
 * nothing sent) and settles it once when the response ends: network errors, undici timeouts,
 * a body cut short, 5xx, 408 and 429 fail; other answers succeed; aborted requests are ignored.
 *
 * @throws {InvalidOptionsError} when an option is invalid (naming it), at once.
 */
export function circuitBreaker(
  options?: InterceptorOptions,
): Dispatcher.DispatcherComposeInterceptor {
  const parsed = parseOptions<InterceptorRules>(options, SPEC)
  return (dispatch) => (opts, handler) => {
    admit(dispatch, parsed, opts, handler)
    return true
  }
}

function admit(
  dispatch: Dispatcher.Dispatch,
  parsed: ParsedOptions<InterceptorRules>,
  opts: Dispatcher.DispatchOptions,
  handler: Dispatcher.DispatchHandler,
): void {
  let breaker: CircuitBreaker
  const request = dispatchRequest(opts)
  try {
    breaker = parsed.registry.get(parsed.key(request), parsed.breakerOptions)
  } catch (error) {
    // A key that cannot be used fails the request; it is never sent unguarded.
    failUndispatched(handler, error)
    return
  }
  breaker
    .acquire()
    .then(
      (permit) =>
        send(
          dispatch,
          opts,
          new GuardHandler(handler, permit, breaker, parsed.outcome, request, opts),
        ),
      (error: unknown) => failUndispatched(handler, error),
    )
    // The caller's handler threw while told of a refusal: nothing is left to settle, and a
    // rejection here would be unhandled. Reported, never swallowed silently.
    .catch((error: unknown) => {
      process.emitWarning(
        `@tripswitch/fetch: a dispatch handler threw while told of a refusal: ${String(error)}`,
      )
    })
}

function send(
  dispatch: Dispatcher.Dispatch,
  opts: Dispatcher.DispatchOptions,
  guard: GuardHandler,
): void {
  try {
    dispatch(opts, guard)
  } catch (error) {
    // A dispatcher that throws (closed, bad options) has sent nothing: not the upstream's fault.
    guard.abandon(error)
  }
}
