import type { CircuitBreakerRegistry } from '@tripswitch/core'
import { checks } from '@tripswitch/core/adapter'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { Exchange } from './exchange.ts'
import type { CircuitBreakerMiddlewareOptions } from './options.ts'
import { type ParsedOptions, parseOptions } from './parse-options.ts'
import { slotsOf } from './request-slots.ts'
import { deferToRoute } from './route-hook.ts'
import { routeKey } from './route-key.ts'

/** The middleware returned by {@link circuitBreaker}. */
export type CircuitBreakerMiddleware = RequestHandler & {
  /** The registry holding this middleware's breakers; pass it to {@link circuitStatus}. */
  readonly registry: CircuitBreakerRegistry
}

/**
 * Guards requests with circuit breakers, one per route by default (method + mount path + route
 * template; never the raw URL or query). Use it on a route (`app.get(path, circuitBreaker(),
 * handler)`) or under `app.use`. A refused request gets 503 JSON with `Retry-After` (whole
 * seconds, rounded up) and `Cache-Control: no-store`, unless `onCircuitOpen` or `fallback`
 * answers. The outcome is recorded when the response finishes: status >= 500 fails, anything
 * else succeeds, a request the client aborted is ignored.
 *
 * @throws {InvalidOptionsError} when an option is invalid (naming it).
 */
export function circuitBreaker(
  options?: CircuitBreakerMiddlewareOptions,
): CircuitBreakerMiddleware {
  const parsed = parseOptions(options)
  // One admission per request, even when the same middleware is reached twice: marked in a
  // slot of the request's res.locals (see request-slots.ts; a property on `req` costs a new
  // hidden class per request, a WeakSet entry costs the garbage collector).
  const seen = Symbol('tripswitch admitted')
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    const slots = slotsOf(res)
    if (slots[seen] === true) {
      next()
      return
    }
    slots[seen] = true
    const exchange = new Exchange(req, res, parsed, slots)
    let key: string | undefined
    try {
      key = keyNow(req, parsed)
    } catch (error) {
      next(error)
      return
    }
    if (key !== undefined) {
      exchange.admit(key, next)
      return
    }
    // Under app.use no route is matched yet: admit once one is (see route-hook.ts).
    deferToRoute(req, res, slots, exchange)
    next()
  }
  return Object.assign(middleware, { registry: parsed.registry })
}

/**
 * The key known on arrival: the fixed name, the user's key, or the matched route's. `req.route`
 * is set on arrival when the middleware sits on a route. (Under app.use placed after a route
 * that passed the request on with next(), it still names that route: a template all the same.)
 * @throws {InvalidOptionsError} when `key(req)` gives no usable key: a request is never let
 *   through unguarded because of it.
 */
function keyNow(req: Request, parsed: ParsedOptions): string | undefined {
  if (parsed.name !== undefined) return parsed.name
  // Typed as a string, but written by users in JavaScript too: check what it really returned.
  if (parsed.key !== undefined) return checks.breakerKey(parsed.key(req) as unknown)
  return routeKey(req)
}
