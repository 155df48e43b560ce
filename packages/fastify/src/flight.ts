import {
  type CircuitBreaker,
  CircuitTimeoutError,
  type Clock,
  type Outcome,
  type Permit,
} from '@tripswitch/core'
import type { Circuit } from './circuit.ts'

/**
 * One request admitted by one circuit: holds the permit until the request is settled, exactly
 * once, by its reply (onSend), its timeout, or the client going away.
 */
export class Flight {
  /** The next flight of the same request (a route may sit behind several circuits). */
  next: Flight | undefined = undefined
  /** The error the route raised, if any (for `detectError` and the `failure` event). */
  error: unknown = undefined
  /** Clock time the request was admitted, in ms. */
  readonly startedAt: number
  private settled = false
  private timer: unknown = undefined

  constructor(
    readonly circuit: Circuit,
    readonly breaker: CircuitBreaker,
    readonly permit: Permit,
    private readonly clock: Clock,
  ) {
    this.startedAt = clock.now()
  }

  /** True once settled. */
  get done(): boolean {
    return this.settled
  }

  /** True when the request has taken `timeout` or longer (the timer may not have run yet). */
  get timedOut(): boolean {
    return this.clock.now() - this.startedAt >= this.circuit.settings.timeout
  }

  /**
   * Calls `onTimeout` when the request has taken `timeout` ms. The timer comes from the
   * breaker's clock, so a test clock drives it, and is unref'd: it never keeps a process alive.
   */
  arm(onTimeout: () => void): void {
    const ms = this.circuit.settings.timeout
    const clock = this.clock
    this.timer = clock.setTimeout ? clock.setTimeout(onTimeout, ms) : setTimeout(onTimeout, ms)
    ;(this.timer as { unref?: () => void }).unref?.()
  }

  /**
   * Settles the permit with `outcome` and stops the timer; later calls do nothing. `error` is
   * what the breaker's `failure` event reports; it is dropped unless the outcome is a failure.
   */
  settle(outcome: Outcome, error?: unknown): void {
    if (this.settled) return
    this.settled = true
    this.disarm()
    this.permit.settle(outcome, outcome === 'failure' ? error : undefined)
  }

  /**
   * Fails the flight as too slow. The `CircuitTimeoutError` makes the breaker emit `timeout`
   * (with this circuit's `timeout` as `timeoutMs`) before `failure`, as `execute()` does.
   */
  timeOut(): void {
    if (this.settled) return
    this.settle(
      'failure',
      new CircuitTimeoutError(this.breaker.name, this.circuit.settings.timeout),
    )
  }

  private disarm(): void {
    if (this.timer === undefined) return
    if (this.clock.clearTimeout) this.clock.clearTimeout(this.timer)
    else clearTimeout(this.timer as ReturnType<typeof setTimeout>)
  }
}
