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
  private last: CircuitBreaker | undefined = undefined
  private readonly stops: Unsubscribe[] = []

  constructor(private readonly log: FastifyBaseLogger) {}

  /** Starts logging `breaker`'s transitions, unless it is watched already. */
  watch(breaker: CircuitBreaker): void {
    // Most requests go through the breaker the previous one did: no WeakSet lookup then.
    if (breaker === this.last) return
    this.last = breaker
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
    this.last = undefined
    for (const stop of this.stops.splice(0)) stop()
  }
}
