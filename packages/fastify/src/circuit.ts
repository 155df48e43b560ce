import {
  type CircuitBreaker,
  type CircuitBusyError,
  type Clock,
  isCircuitBusyError,
  isCircuitOpenError,
  type Permit,
} from '@tripswitch/core'
import { checks, Deadlines } from '@tripswitch/core/adapter'
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import { prepareOpen, sendAnswer } from './answer.ts'
import { Flight, type FlightTable } from './flight.ts'
import { settleAll } from './lifecycle.ts'
import type { PluginSettings } from './plugin-options.ts'
import type { CircuitSettings } from './settings.ts'
import type { TransitionLog } from './transitions.ts'

/** What an admitting preHandler returns: settled, so Fastify goes on after one reaction. */
const ADMITTED: Promise<undefined> = Promise.resolve(undefined)

/** State shared by everything one registration of the plugin creates. */
export interface PluginContext {
  readonly settings: PluginSettings
  /** The unsettled flights of each request (a chain when several circuits guard one route). */
  readonly flights: FlightTable
  /** The circuit of each preHandler this plugin made, to find them in route options. */
  readonly circuits: WeakMap<object, Circuit>
  /** Circuit names taken by this registration. */
  readonly names: Set<string>
  /** The config circuit of each GET route by URL, for the HEAD route Fastify adds to it. */
  readonly getCircuits: Map<string, { readonly config: unknown; readonly circuit: Circuit }>
  /** Last `_cbRouteId` given out. */
  lastId: number
  /** Logs the state changes of the breakers used; undefined with `logTransitions: false`. */
  readonly transitions: TransitionLog | undefined
}

/**
 * One circuit: one `app.circuitBreaker()` call (`compat`), or one route's `config.circuitBreaker`
 * (`config`). Its breaker lives in the registry under its name, and is looked up per request so
 * that the registry may evict it while it is idle and closed.
 */
export class Circuit {
  /** The request decoration `_cbRouteId` of requests this circuit admits. */
  readonly id: number
  /** The preHandler guarding the route(s). */
  readonly preHandler: preHandlerAsyncHookHandler
  private name: string | undefined
  /** The deadline list of the clock used last (breakers of one registry share one clock). */
  private deadlines: Deadlines | undefined = undefined
  private deadlineClock: Clock | undefined = undefined
  private readonly lists = new WeakMap<Clock, Deadlines>()

  constructor(
    readonly context: PluginContext,
    readonly settings: CircuitSettings,
    readonly form: 'compat' | 'config',
  ) {
    this.id = ++context.lastId
    this.name = settings.name
    this.preHandler = (request, reply) => this.guard(request, reply)
    context.circuits.set(this.preHandler, this)
  }

  /**
   * Names the circuit after the first route it guards (method and route template, never the
   * URL), made unique within the registration. Creating the breaker now makes a clash with the
   * registry's defaults fail at startup rather than on a request.
   */
  bind(method: string | readonly string[], url: string): void {
    if (this.name === undefined) {
      const base = `${typeof method === 'string' ? method : method.join(',')} ${url}`
      this.name = this.context.names.has(base) ? `${base} #${this.id}` : base
      this.context.names.add(this.name)
    }
    // With `key`, breakers are named per request: there is none to create yet.
    if (this.settings.hooks.key === undefined) this.breaker()
  }

  private breaker(request?: FastifyRequest): CircuitBreaker {
    const key = this.settings.hooks.key
    // Typed as a string, but written by users in JavaScript too: check what it really returned.
    const name =
      key !== undefined && request !== undefined ? checks.breakerKey(key(request)) : this.name!
    const breaker = this.context.settings.registry.get(name, this.settings.breaker)
    this.context.transitions?.watch(breaker)
    return breaker
  }

  // Not async: a permit granted at once (the in-memory state always answers at once) costs no
  // async frame and no await; Fastify waits on the one settled promise returned.
  private guard(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    let breaker: CircuitBreaker
    let admission: Permit | Promise<Permit>
    try {
      // A preHandler added by hand (e.g. with addHook) was never seen by onRoute.
      if (this.name === undefined)
        this.bind(request.routeOptions.method ?? request.method, request.routeOptions.url ?? '*')
      breaker = this.breaker(request)
      admission = breaker.tryAcquire()
    } catch (error) {
      return Promise.reject(error)
    }
    if (admission instanceof Promise) return this.guardLater(request, reply, breaker, admission)
    this.admitted(request, reply, breaker, admission)
    return ADMITTED
  }

  /** The permit is on its way (a shared store asked for a half-open probe). */
  private async guardLater(
    request: FastifyRequest,
    reply: FastifyReply,
    breaker: CircuitBreaker,
    admission: Promise<Permit>,
  ): Promise<unknown> {
    let permit: Permit
    try {
      permit = await admission
    } catch (error) {
      if (isCircuitBusyError(error)) return this.busy(request, reply, error)
      if (!isCircuitOpenError(error)) throw error
      request._cbIsOpen = true
      // Our own 503 says nothing about the other circuits guarding this route.
      settleAll(this.context, request, undefined)
      const answer = prepareOpen(reply, error, this.context.settings.openMessage)
      await sendAnswer(request, reply, this.settings.hooks.onCircuitOpen, answer)
      return reply
    }
    this.admitted(request, reply, breaker, permit)
    return undefined
  }

  private admitted(
    request: FastifyRequest,
    reply: FastifyReply,
    breaker: CircuitBreaker,
    permit: Permit,
  ): void {
    const flight = new Flight(this, breaker, permit, breaker.settings.clock, request, reply)
    request._cbRouteId = this.id
    request._cbTime = flight.startedAt
    flight.next = this.context.flights.get(request)
    this.context.flights.set(request, flight)
    flight.arm(this.deadlinesOf(breaker.settings.clock))
  }

  /**
   * The deadline list for `clock`. Deadlines are in arrival order only on one clock: a breaker
   * on another clock (created with its own) gets a list of its own.
   */
  private deadlinesOf(clock: Clock): Deadlines {
    if (this.deadlines === undefined || this.deadlineClock !== clock) {
      let list = this.lists.get(clock)
      if (list === undefined) {
        // Unref'd throughout: the server holds the process; a request's timeout must not.
        list = new Deadlines(clock, false)
        this.lists.set(clock, list)
      }
      this.deadlines = list
      this.deadlineClock = clock
    }
    return this.deadlines
  }

  /** `maxConcurrent` requests are running: 503 through the error handler, nothing counted. */
  private async busy(
    request: FastifyRequest,
    reply: FastifyReply,
    error: CircuitBusyError,
  ): Promise<FastifyReply> {
    settleAll(this.context, request, undefined)
    reply.code(503).header('cache-control', 'no-store')
    await sendAnswer(request, reply, undefined, error)
    return reply
  }
}
