import type { CircuitState } from './state.ts'

/** Stable error codes. Guards compare these, never `instanceof`, so two copies of core agree. */
export const ErrorCode = {
  CircuitOpen: 'ERR_CIRCUIT_OPEN',
  CircuitTimeout: 'ERR_CIRCUIT_TIMEOUT',
  InvalidOptions: 'ERR_CIRCUIT_OPTIONS',
  PermitSettled: 'ERR_CIRCUIT_PERMIT_SETTLED',
  IllegalTransition: 'ERR_CIRCUIT_TRANSITION',
  Listener: 'ERR_CIRCUIT_LISTENER',
  CircuitBusy: 'ERR_CIRCUIT_BUSY',
} as const

/** One of the {@link ErrorCode} values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/** Base class of every error Tripswitch throws; `code` is stable across versions. */
export class TripswitchError extends Error {
  /** Stable machine-readable code, e.g. `ERR_CIRCUIT_OPEN`. */
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/**
 * Thrown (or rejected) when a call is refused because the circuit does not admit it.
 * Construct it with `new` anywhere; the breaker itself uses {@link createOpenError}.
 */
export class CircuitOpenError extends TripswitchError {
  /** Name of the circuit that refused the call. */
  readonly circuit: string
  /** State of the circuit when it refused: `open`, `half_open` or `forced_open`. */
  readonly state: CircuitState
  /** Milliseconds until a probe will be allowed; 0 when unknown (half-open, forced open). */
  readonly retryAfterMs: number

  constructor(circuit: string, state: CircuitState, retryAfterMs: number) {
    super(ErrorCode.CircuitOpen, openMessage(circuit, state))
    this.circuit = circuit
    this.state = state
    this.retryAfterMs = retryAfterMs
  }
}

function openMessage(circuit: string, state: CircuitState): string {
  return `Circuit "${circuit}" is ${state}`
}

// Rejections are the hot path of an open circuit, and capturing a stack trace is nearly all
// the cost of an Error (microseconds; even toggling Error.stackTraceLimit costs ~0.5 µs). A
// rejection's stack would only point into the breaker, so the breaker's errors are made
// without running the Error constructor: same prototype chain (instanceof Error works), same
// name, code, message and fields, and a stack that is just the first line.
function stacklessErrors(type: { readonly name: string; readonly prototype: Error }): void {
  Object.defineProperty(type.prototype, 'name', { value: type.name, writable: true })
  Object.defineProperty(type.prototype, 'stack', {
    get(this: Error) {
      return `${this.name}: ${this.message}`
    },
    set(this: Error, value: unknown) {
      Object.defineProperty(this, 'stack', { value, writable: true, configurable: true })
    },
    configurable: true,
  })
}

stacklessErrors(CircuitOpenError)

interface MutableOpenError {
  code: ErrorCode
  message: string
  circuit: string
  state: CircuitState
  retryAfterMs: number
}

/** A {@link CircuitOpenError} without a captured stack: about 30 ns instead of microseconds. */
export function createOpenError(
  circuit: string,
  state: CircuitState,
  retryAfterMs: number,
): CircuitOpenError {
  const error = Object.create(CircuitOpenError.prototype) as MutableOpenError
  error.code = ErrorCode.CircuitOpen
  error.message = openMessage(circuit, state)
  error.circuit = circuit
  error.state = state
  error.retryAfterMs = retryAfterMs
  return error as unknown as CircuitOpenError
}

/**
 * Thrown (or rejected) when `maxConcurrent` calls are already running: refused at once, not
 * counted as a failure (the downstream was not asked). Made without a stack trace.
 */
export class CircuitBusyError extends TripswitchError {
  /** Name of the circuit that refused the call. */
  readonly circuit: string
  /** The bound that was reached (`maxConcurrent`). */
  readonly maxConcurrent: number

  constructor(circuit: string, maxConcurrent: number) {
    super(ErrorCode.CircuitBusy, busyMessage(circuit, maxConcurrent))
    this.circuit = circuit
    this.maxConcurrent = maxConcurrent
  }
}

function busyMessage(circuit: string, maxConcurrent: number): string {
  return `Circuit "${circuit}" is busy (${maxConcurrent} calls running)`
}

stacklessErrors(CircuitBusyError)

/** A {@link CircuitBusyError} without a captured stack (cheap, like an open rejection). */
export function createBusyError(circuit: string, maxConcurrent: number): CircuitBusyError {
  const error = Object.create(CircuitBusyError.prototype) as {
    code: ErrorCode
    message: string
    circuit: string
    maxConcurrent: number
  }
  error.code = ErrorCode.CircuitBusy
  error.message = busyMessage(circuit, maxConcurrent)
  error.circuit = circuit
  error.maxConcurrent = maxConcurrent
  return error as unknown as CircuitBusyError
}

/** True when `error` is a {@link CircuitBusyError} from any copy of core. */
export function isCircuitBusyError(error: unknown): error is CircuitBusyError {
  return hasCode(error, ErrorCode.CircuitBusy)
}

/** The guarded call took longer than the `timeout` option; its signal was aborted. */
export class CircuitTimeoutError extends TripswitchError {
  /** Name of the circuit whose call timed out. */
  readonly circuit: string
  /** The timeout that was exceeded, in milliseconds. */
  readonly timeout: number

  constructor(circuit: string, timeout: number) {
    super(ErrorCode.CircuitTimeout, `Call on circuit "${circuit}" timed out after ${timeout} ms`)
    this.circuit = circuit
    this.timeout = timeout
  }
}

/**
 * An event listener threw. Reported as a process warning (never thrown into the breaker or
 * the call); `cause` is what the listener threw.
 */
export class ListenerError extends TripswitchError {
  /** The event whose listener threw, e.g. `open`. */
  readonly event: string

  constructor(event: string, cause: unknown) {
    super(ErrorCode.Listener, `A listener of "${event}" threw: ${brief(cause)}`, { cause })
    this.event = event
  }
}

function brief(value: unknown): string {
  const text = value instanceof Error ? value.message : describe(value)
  return clip(text)
}

/** An option failed validation. The message names the option, the rule and the value. */
export class InvalidOptionsError extends TripswitchError {
  /** Dotted path of the offending option, e.g. `backoff.multiplier`. */
  readonly option: string
  /** The rule that was broken, e.g. `an integer >= 1`. */
  readonly rule: string
  /** The value that was given. */
  readonly value: unknown

  constructor(option: string, rule: string, value: unknown) {
    super(
      ErrorCode.InvalidOptions,
      `Option "${option}" must be ${rule}, but was ${describe(value)}`,
    )
    this.option = option
    this.rule = rule
    this.value = value
  }
}

/** Longest part of a value an error message quotes: a 1 MB value must not make a 1 MB message. */
const QUOTE_LIMIT = 100

function clip(text: string): string {
  if (text.length <= QUOTE_LIMIT) return text
  return `${text.slice(0, QUOTE_LIMIT)}… (${text.length} characters)`
}

function describe(value: unknown): string {
  if (typeof value === 'string') return clip(JSON.stringify(value))
  if (typeof value === 'function') return clip(`function ${value.name || '(anonymous)'}`)
  if (Array.isArray(value)) return `an array of ${value.length}`
  if (value === null || typeof value !== 'object') return String(value)
  return 'an object'
}

function hasCode(error: unknown, code: ErrorCode): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code
}

/** True for any error thrown by Tripswitch (any copy of it). */
export function isTripswitchError(error: unknown): error is TripswitchError {
  const code = typeof error === 'object' && error !== null && (error as { code?: unknown }).code
  return typeof code === 'string' && (Object.values(ErrorCode) as string[]).includes(code)
}

/** True when `error` is a {@link CircuitOpenError} from any copy of core. */
export function isCircuitOpenError(error: unknown): error is CircuitOpenError {
  return hasCode(error, ErrorCode.CircuitOpen)
}

/** True when `error` is a {@link CircuitTimeoutError} from any copy of core. */
export function isCircuitTimeoutError(error: unknown): error is CircuitTimeoutError {
  return hasCode(error, ErrorCode.CircuitTimeout)
}

/** True when `error` is an {@link InvalidOptionsError} from any copy of core. */
export function isInvalidOptionsError(error: unknown): error is InvalidOptionsError {
  return hasCode(error, ErrorCode.InvalidOptions)
}
