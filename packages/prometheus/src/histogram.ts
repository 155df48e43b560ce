import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import {
  type CallEndMessage,
  type CircuitBreakerRegistry,
  DIAGNOSTICS_CHANNELS,
} from '@tripswitch/core'
import { Histogram } from 'prom-client'

const KIND = { success: 'successful', failure: 'failed' } as const

/**
 * `call_duration_seconds{name,kind}`, fed by core's `tripswitch:call:end` channel. A channel,
 * not each breaker's `success`/`failure` events, so that a breaker the registry creates after
 * `registerMetrics` is timed from its first call (the registry announces no new breaker).
 */
export class DurationHistogram {
  readonly metric: Histogram<'name' | 'kind'>
  // Which breakers belong to the registry, decided once per breaker object: two registries
  // (or a standalone breaker) may hold breakers of the same name.
  private readonly belongs = new WeakMap<object, boolean>()
  private readonly seen = new Set<string>()
  private readonly onEnd = (message: unknown) => this.observe(message as CallEndMessage)

  constructor(
    private readonly registry: CircuitBreakerRegistry,
    name: string,
    buckets: readonly number[] | undefined,
  ) {
    this.metric = new Histogram({
      name,
      help: 'Duration of guarded calls that counted as a success or a failure, in seconds.',
      labelNames: ['name', 'kind'],
      registers: [],
      ...(buckets === undefined ? {} : { buckets: [...buckets] }),
      collect: () => this.forgetDropped(),
    })
    subscribe(DIAGNOSTICS_CHANNELS.callEnd, this.onEnd)
  }

  /** Stops listening for calls. */
  close(): void {
    unsubscribe(DIAGNOSTICS_CHANNELS.callEnd, this.onEnd)
  }

  private observe({ name, breaker, outcome, durationMs }: CallEndMessage): void {
    if (outcome === 'ignore' || !this.registry.has(name)) return
    let mine = this.belongs.get(breaker)
    if (mine === undefined) {
      // get() on a held name returns it (marking it used, as the call just did) and creates none.
      mine = this.registry.get(name) === breaker
      this.belongs.set(breaker, mine)
    }
    if (!mine) return
    this.seen.add(name)
    this.metric.observe({ name, kind: KIND[outcome] }, durationMs / 1000)
  }

  /** Drops the series of breakers the registry no longer holds (evicted or deleted). */
  private forgetDropped(): void {
    for (const name of this.seen) {
      if (this.registry.has(name)) continue
      this.seen.delete(name)
      this.metric.remove({ name, kind: 'successful' })
      this.metric.remove({ name, kind: 'failed' })
    }
  }
}
