import {
  type CircuitBreaker,
  CircuitTimeoutError,
  type Clock,
  type Outcome,
  type Permit,
} from '@tripswitch/core'
import type { Deadlines, Waiting } from '@tripswitch/core/adapter'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Circuit } from './circuit.ts'
import { onTimer } from './lifecycle.ts'

/**
 * One request admitted by one circuit: holds the permit until the request is settled, exactly
 * once, by its reply (onSend), its timeout, or the client going away.
 */
export class Flight implements Waiting {
  /** The next flight of the same request (a route may sit behind several circuits). */
  next: Flight | undefined = undefined
  /** The error the route raised, if any (for `detectError` and the `failure` event). */
  error: unknown = undefined
  /** Clock time the request was admitted, in ms. */
  readonly startedAt: number
  /** Clock time at which the request times out, in ms. */
  readonly deadline: number
  prevDue: Waiting | null = null
  nextDue: Waiting | null = null
  private settled = false
  private deadlines: Deadlines | undefined = undefined

  constructor(
    readonly circuit: Circuit,
    readonly breaker: CircuitBreaker,
    readonly permit: Permit,
    private readonly clock: Clock,
    /** The request and reply the flight guards: the timer answers them (see {@link onTimer}). */
    private readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
  ) {
    this.startedAt = clock.now()
    this.deadline = this.startedAt + circuit.settings.timeout
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
   * Answers the request as too slow ({@link onTimer}) when it has taken `timeout` ms, unless
   * settled before. The circuit's deadline list times it on the breaker's clock, so a test
   * clock drives it; its timer is unref'd: it never keeps a process alive.
   */
  arm(deadlines: Deadlines): void {
    this.deadlines = deadlines
    deadlines.add(this)
  }

  /** Called by the deadline list when `deadline` has passed. */
  expire(): void {
    this.deadlines = undefined
    onTimer(this.circuit.context, this, this.request, this.reply)
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
    if (this.deadlines === undefined) return
    this.deadlines.remove(this)
    this.deadlines = undefined
  }
}

/**
 * The unsettled flights of each request, in a property of the request that the plugin declares
 * with `decorateRequest` (a symbol of its own per registration, so invisible to routes and
 * distinct per registration). Same interface as the WeakMap it replaces, without a weak entry
 * per request for the garbage collector to trace.
 */
export class FlightTable {
  private readonly slot = Symbol('tripswitch flights')

  /** Declares the property on `fastify`'s requests; call once, at registration. */
  declare(fastify: { decorateRequest(name: symbol, value: null): unknown }): void {
    fastify.decorateRequest(this.slot, null)
  }

  get(request: object): Flight | undefined {
    return (request as Record<symbol, Flight | null | undefined>)[this.slot] ?? undefined
  }

  set(request: object, flight: Flight): void {
    ;(request as Record<symbol, Flight | null | undefined>)[this.slot] = flight
  }

  delete(request: object): void {
    const slots = request as Record<symbol, Flight | null | undefined>
    if (slots[this.slot] != null) slots[this.slot] = null
  }
}
