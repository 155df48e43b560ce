import type { CircuitBreaker } from '@tripswitch/core'

/**
 * Where the middleware logs state changes: anything with `warn` and `info` taking the fields
 * first and the message second, as pino does (`logger.warn({ circuit }, 'msg')`); `console`
 * fits too, and prints both.
 */
export interface TransitionLogger {
  warn(fields: Record<string, unknown>, message: string): unknown
  info(fields: Record<string, unknown>, message: string): unknown
}

/**
 * Logs the state changes of the breakers one middleware uses, once per breaker: open at warn,
 * half-open and close at info. Only those breakers: the registry may be shared (core's default
 * one), and another adapter's breakers are not this middleware's to report. A logger that
 * throws is the app's own bug; core reports a throwing listener as `ListenerError` without
 * breaking the request.
 */
export class TransitionLog {
  private readonly watched = new WeakSet<CircuitBreaker>()
  private last: CircuitBreaker | undefined = undefined

  constructor(private readonly logger: TransitionLogger) {}

  /** Starts logging `breaker`'s transitions, unless it is watched already. */
  watch(breaker: CircuitBreaker): void {
    // Most requests go through the breaker the previous one did: no WeakSet lookup then.
    if (breaker === this.last) return
    this.last = breaker
    if (this.watched.has(breaker)) return
    this.watched.add(breaker)
    const { logger } = this
    breaker.on('open', ({ name, reason, retryAfterMs }) =>
      logger.warn({ circuit: name, reason, retryAfterMs }, 'tripswitch: circuit open'),
    )
    breaker.on('halfOpen', ({ name }) =>
      logger.info({ circuit: name }, 'tripswitch: circuit half-open'),
    )
    breaker.on('close', ({ name }) => logger.info({ circuit: name }, 'tripswitch: circuit closed'))
  }
}
