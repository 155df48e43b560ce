/** Code of the answer to a request refused by an open circuit (as in `@fastify/circuit-breaker`). */
export const CIRCUIT_OPEN_CODE = 'FST_ERR_CIRCUIT_BREAKER_OPEN'
/** Code of the answer to a request slower than `timeout` (as in `@fastify/circuit-breaker`). */
export const CIRCUIT_TIMEOUT_CODE = 'FST_ERR_CIRCUIT_BREAKER_TIMEOUT'

// These errors are answers, not bugs: a stack would only point into this plugin, and capturing
// one costs more than the rest of a rejection, so construction skips it (as core does).
function withoutStack<T>(build: () => T): T {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    return build()
  } finally {
    Error.stackTraceLimit = limit
  }
}

/**
 * Sent (through the error handler) to a request refused by an open circuit. Fastify's default
 * error handler turns it into `{ statusCode: 503, code: 'FST_ERR_CIRCUIT_BREAKER_OPEN', error:
 * 'Service Unavailable', message }`.
 */
export class CircuitBreakerOpenError extends Error {
  /** Stable code, `FST_ERR_CIRCUIT_BREAKER_OPEN`. */
  readonly code: typeof CIRCUIT_OPEN_CODE = CIRCUIT_OPEN_CODE
  /** HTTP status, always 503. */
  readonly statusCode: 503 = 503
  /** Name of the open circuit. */
  readonly circuit: string
  /** Milliseconds until a probe will be let through; 0 when unknown (half-open). */
  readonly retryAfterMs: number

  /** @param message the plugin's `circuitOpenErrorMessage`. */
  static create(message: string, circuit: string, retryAfterMs: number): CircuitBreakerOpenError {
    return withoutStack(() => new CircuitBreakerOpenError(message, circuit, retryAfterMs))
  }

  constructor(message: string, circuit: string, retryAfterMs: number) {
    super(message)
    this.name = 'FastifyError'
    this.circuit = circuit
    this.retryAfterMs = retryAfterMs
  }
}

/**
 * Sent (through the error handler) to a request slower than `timeout`. Fastify's default error
 * handler turns it into `{ statusCode: 503, code: 'FST_ERR_CIRCUIT_BREAKER_TIMEOUT', error:
 * 'Service Unavailable', message }`.
 */
export class CircuitBreakerTimeoutError extends Error {
  /** Stable code, `FST_ERR_CIRCUIT_BREAKER_TIMEOUT`. */
  readonly code: typeof CIRCUIT_TIMEOUT_CODE = CIRCUIT_TIMEOUT_CODE
  /** HTTP status, always 503. */
  readonly statusCode: 503 = 503
  /** Name of the circuit whose request timed out. */
  readonly circuit: string
  /** The timeout that was exceeded, in milliseconds. */
  readonly timeout: number

  /** @param message the plugin's `timeoutErrorMessage`. */
  static create(message: string, circuit: string, timeout: number): CircuitBreakerTimeoutError {
    return withoutStack(() => new CircuitBreakerTimeoutError(message, circuit, timeout))
  }

  constructor(message: string, circuit: string, timeout: number) {
    super(message)
    this.name = 'FastifyError'
    this.circuit = circuit
    this.timeout = timeout
  }
}
