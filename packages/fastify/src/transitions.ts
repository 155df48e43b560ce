import type { CircuitBreaker, Unsubscribe } from '@tripswitch/core'
import type { FastifyBaseLogger } from 'fastify'

/**
 * Logs the state changes of the breakers this registration's circuits use, once per breaker:
 * open at warn, half-open and close at info. Only breakers a circuit of this plugin goes through
 * are watched: the registry may be shared (core's default one), and another adapter's breakers
 * are not this app's to report.
 */
export class TransitionLog {
  private readonly watched = new WeakSet<CircuitBreaker>()
  private readonly stops: Unsubscribe[] = []

  constructor(private readonly log: FastifyBaseLogger) {}

  /** Starts logging `breaker`'s transitions, unless it is watched already. */
  watch(breaker: CircuitBreaker): void {
    if (this.watched.has(breaker)) return
    this.watched.add(breaker)
    const { log } = this
    this.stops.push(
      breaker.on('open', ({ name, reason, retryAfterMs }) =>
        log.warn({ circuit: name, reason, retryAfterMs }, 'tripswitch: circuit open'),
      ),
      breaker.on('halfOpen', ({ name }) =>
        log.info({ circuit: name }, 'tripswitch: circuit half-open'),
      ),
      breaker.on('close', ({ name }) => log.info({ circuit: name }, 'tripswitch: circuit closed')),
    )
  }

  /** Stops every listener: the app is closing, and the breakers may outlive it. */
  stop(): void {
    for (const stop of this.stops.splice(0)) stop()
  }
}
