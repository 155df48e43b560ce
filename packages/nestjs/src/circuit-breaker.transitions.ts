import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common'
import type { CircuitBreaker, Unsubscribe } from '@tripswitch/core'
import { TRIPSWITCH_MODULE_OPTIONS } from './circuit-breaker.module-definition.ts'
import type { TripswitchModuleOptions } from './circuit-breaker.options.ts'

/**
 * Logs the state changes of the breakers `@CircuitBreaker()` handlers use through Nest's
 * `Logger` (context `Tripswitch`): open at warn, half-open and close at log level, once per
 * breaker. Only those breakers: the registry may be shared (core's default one), and another
 * adapter's breakers are not this application's to report. Off with `logTransitions: false`.
 */
@Injectable()
export class CircuitBreakerTransitions implements OnModuleDestroy {
  private readonly logger = new Logger('Tripswitch')
  private readonly watched = new WeakSet<CircuitBreaker>()
  private last: CircuitBreaker | undefined = undefined
  private readonly stops: Unsubscribe[] = []
  private readonly enabled: boolean

  constructor(@Inject(TRIPSWITCH_MODULE_OPTIONS) options: TripswitchModuleOptions | undefined) {
    this.enabled = options?.logTransitions !== false
  }

  /** Starts logging `breaker`'s transitions, unless it is watched already or logging is off. */
  watch(breaker: CircuitBreaker): void {
    // Most requests go through the breaker the previous one did: no WeakSet lookup then.
    if (breaker === this.last) return
    this.last = breaker
    if (!this.enabled || this.watched.has(breaker)) return
    this.watched.add(breaker)
    const { logger } = this
    this.stops.push(
      breaker.on('open', ({ name, reason, retryAfterMs }) =>
        logger.warn(`Circuit "${name}" open (${reason}); probe in ${retryAfterMs} ms`),
      ),
      breaker.on('halfOpen', ({ name }) => logger.log(`Circuit "${name}" half-open`)),
      breaker.on('close', ({ name }) => logger.log(`Circuit "${name}" closed`)),
    )
  }

  /** The application is closing; the breakers (in a shared registry) may outlive it. */
  onModuleDestroy(): void {
    this.last = undefined
    for (const stop of this.stops.splice(0)) stop()
  }
}
