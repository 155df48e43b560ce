import type { OpenReason } from './events.ts'
import type { CircuitState } from './state.ts'

/**
 * Names of the `node:diagnostics_channel` channels core publishes on. A stable interface:
 * names and message shapes change only with a major version.
 */
export const DIAGNOSTICS_CHANNELS: {
  readonly transition: 'tripswitch:transition'
  readonly reject: 'tripswitch:reject'
  readonly callStart: 'tripswitch:call:start'
  readonly callEnd: 'tripswitch:call:end'
} = Object.freeze({
  transition: 'tripswitch:transition',
  reject: 'tripswitch:reject',
  callStart: 'tripswitch:call:start',
  callEnd: 'tripswitch:call:end',
} as const)

/** Message on `tripswitch:transition`: a circuit changed state. */
export interface TransitionMessage {
  /** Name of the circuit. */
  readonly name: string
  /** State before. */
  readonly from: CircuitState
  /** State after. */
  readonly to: CircuitState
  /** Why it opened, when `to` is `open` or `forced_open`; undefined otherwise. */
  readonly reason: OpenReason | undefined
  /** Clock time (ms) until which the circuit stays open; null unless `to` is `open`. */
  readonly openUntil: number | null
  /** The breaker itself (a `CircuitBreaker`), to tell same-named breakers apart. */
  readonly breaker: object
}

/** Message on `tripswitch:reject`: a call was refused without running (or, shadow mode, ran anyway). */
export interface RejectMessage {
  /** Name of the circuit. */
  readonly name: string
  /** The refusal: a `CircuitOpenError` or a `CircuitBusyError`. */
  readonly error: Error
  /** State of the circuit when it refused. */
  readonly state: CircuitState
  /** Milliseconds until a probe is allowed (0 when busy or forced open). */
  readonly retryAfterMs: number
  /** True in shadow mode: the refusal was only reported and the call ran. */
  readonly shadow: boolean
  /** The breaker itself. */
  readonly breaker: object
}

/** Message on `tripswitch:call:start`: a call was admitted (a permit granted). */
export interface CallStartMessage {
  /** Name of the circuit. */
  readonly name: string
  /** The breaker itself. */
  readonly breaker: object
}

/**
 * Message on `tripswitch:call:end`: an admitted call settled. Published for the calls whose
 * start was published (a call admitted before anyone subscribed is not).
 */
export interface CallEndMessage {
  /** Name of the circuit. */
  readonly name: string
  /** How it counted: `success`, `failure` or `ignore`. */
  readonly outcome: 'success' | 'failure' | 'ignore'
  /** What the call threw (undefined for a success or a detected failure). */
  readonly error: unknown
  /** Milliseconds from start to settle, on the breaker's clock. */
  readonly durationMs: number
  /** The breaker itself. */
  readonly breaker: object
}

/** The part of a diagnostics channel core uses. */
export interface PublishChannel {
  readonly hasSubscribers: boolean
  publish(message: unknown): void
}

interface DiagnosticsModule {
  channel(name: string): PublishChannel
}

interface MaybeNode {
  process?: { getBuiltinModule?: (id: string) => unknown }
}

// Obtained at run time, not imported: core also runs in browsers and other runtimes, where
// there is no such module and publishing does nothing. Channel objects are made once, so a
// publish site costs one property read (`hasSubscribers`) while nobody listens.
const diagnostics = (globalThis as MaybeNode).process?.getBuiltinModule?.(
  'node:diagnostics_channel',
) as DiagnosticsModule | undefined

function channel(name: string): PublishChannel | undefined {
  return diagnostics?.channel(name)
}

/** `tripswitch:transition`, or undefined where diagnostics_channel does not exist. */
export const transitionChannel: PublishChannel | undefined = channel(
  DIAGNOSTICS_CHANNELS.transition,
)
/** `tripswitch:reject`, or undefined where diagnostics_channel does not exist. */
export const rejectChannel: PublishChannel | undefined = channel(DIAGNOSTICS_CHANNELS.reject)
/** `tripswitch:call:start`, or undefined where diagnostics_channel does not exist. */
export const callStartChannel: PublishChannel | undefined = channel(DIAGNOSTICS_CHANNELS.callStart)
/** `tripswitch:call:end`, or undefined where diagnostics_channel does not exist. */
export const callEndChannel: PublishChannel | undefined = channel(DIAGNOSTICS_CHANNELS.callEnd)
