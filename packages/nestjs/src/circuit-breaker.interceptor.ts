import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common'
import { ModuleRef, Reflector } from '@nestjs/core'
import { CircuitBreakerRegistry } from '@tripswitch/core'
import type { Observable } from 'rxjs'
import { guardedCall } from './circuit-breaker.call.ts'
import { CircuitBreakerContextError } from './circuit-breaker.context-error.ts'
import { CircuitBreakerMetadata } from './circuit-breaker.metadata.ts'
import { type CircuitBreakerRoute, routeOf } from './circuit-breaker.route.ts'
import { SkipCircuitBreakerMetadata } from './circuit-breaker.skip.ts'
import { CircuitBreakerTransitions } from './circuit-breaker.transitions.ts'

// What Nest gives for a handler (and accepts as a metadata target): a function.
type Target = ReturnType<ExecutionContext['getHandler']>

/**
 * Runs a handler under its breaker, from the options of `@CircuitBreaker()` on the handler and
 * its controller. `@CircuitBreaker()` applies it; on both the class and the handler Nest calls
 * it twice with one context, and the second call passes through. Calls without options pass
 * through too.
 */
@Injectable()
export class CircuitBreakerInterceptor implements NestInterceptor {
  // Per controller, then per handler: an inherited handler may serve two controllers.
  private readonly routes = new WeakMap<Target, WeakMap<Target, CircuitBreakerRoute | null>>()
  // Marks a context this interceptor guards, in a symbol-keyed slot of Nest's context object
  // (one per request) rather than a WeakSet entry per request for the garbage collector.
  private readonly guarding = Symbol('tripswitch guarding')
  private registry: CircuitBreakerRegistry | undefined
  private transitions: CircuitBreakerTransitions | undefined

  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    // The interceptor is instantiated in each controller's module; the registry lives in
    // TripswitchModule, which needs to be neither global nor imported there.
    @Inject(ModuleRef) private readonly modules: ModuleRef,
  ) {}

  /** @throws {CircuitBreakerContextError} outside an HTTP request: the handler does not run. */
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const route = this.routeFor(context.getClass(), context.getHandler())
    const marks = context as ExecutionContext & Record<symbol, true | undefined>
    if (route === null || marks[this.guarding] === true) return next.handle()
    // The outcome is read from an HTTP status and the refusal is an HTTP 503: elsewhere
    // neither exists, and letting the call through unguarded would hide the mistake.
    if (context.getType() !== 'http') throw new CircuitBreakerContextError(route, context)
    marks[this.guarding] = true
    this.registry ??= this.modules.get(CircuitBreakerRegistry, { strict: false })
    this.transitions ??= this.modules.get(CircuitBreakerTransitions, { strict: false })
    const breaker = this.registry!.get(route.name, route.breakerOptions)
    this.transitions!.watch(breaker)
    return guardedCall(breaker, route, context, next)
  }

  private routeFor(controller: Target, handler: Target): CircuitBreakerRoute | null {
    let byHandler = this.routes.get(controller)
    if (byHandler === undefined) {
      byHandler = new WeakMap()
      this.routes.set(controller, byHandler)
    }
    let route = byHandler.get(handler)
    if (route === undefined) {
      route = routeOf(
        controller,
        handler,
        this.reflector.get(CircuitBreakerMetadata, controller),
        this.reflector.get(CircuitBreakerMetadata, handler),
        this.reflector.get(SkipCircuitBreakerMetadata, handler) === true,
      )
      byHandler.set(handler, route)
    }
    return route
  }
}
