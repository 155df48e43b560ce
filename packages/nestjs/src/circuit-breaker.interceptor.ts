import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common'
import { Reflector } from '@nestjs/core'
import { CircuitBreakerRegistry } from '@tripswitch/core'
import type { Observable } from 'rxjs'
import { guardedCall } from './circuit-breaker.call.ts'
import { CircuitBreaker } from './circuit-breaker.decorator.ts'
import { type CircuitBreakerRoute, routeOf } from './circuit-breaker.route.ts'

// What Nest gives for a handler (and accepts as a metadata target): a function.
type Target = ReturnType<ExecutionContext['getHandler']>

/**
 * Runs handlers decorated with `@CircuitBreaker()` (on the method or its controller) under
 * their breaker; passes every other call through. `TripswitchModule` installs it globally
 * (`APP_INTERCEPTOR`), so do not add it with `@UseInterceptors()` as well.
 */
@Injectable()
export class CircuitBreakerInterceptor implements NestInterceptor {
  // Per controller, then per handler: an inherited handler may serve two controllers.
  private readonly routes = new WeakMap<Target, WeakMap<Target, CircuitBreakerRoute | null>>()

  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(CircuitBreakerRegistry) private readonly registry: CircuitBreakerRegistry,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const route = this.routeFor(context.getClass(), context.getHandler())
    if (route === null) return next.handle()
    const breaker = this.registry.get(route.name, route.breakerOptions)
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
        this.reflector.get(CircuitBreaker, controller),
        this.reflector.get(CircuitBreaker, handler),
      )
      byHandler.set(handler, route)
    }
    return route
  }
}
