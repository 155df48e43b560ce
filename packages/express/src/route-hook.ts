import type { NextFunction, Request, RequestHandler, Response } from 'express'

/**
 * Per-route keys under `app.use`.
 *
 * Express matches routes only after `app.use` middleware has run, so there the route template
 * is unknown, and the raw URL must never become a key (ids and query strings would each make a
 * breaker). Admission cannot wait until the handler has run either. So the middleware defers
 * it: Express assigns `req.route` (a documented property) synchronously just before the
 * matched route's handlers run; we watch that assignment and, once per route, put one guard in
 * front of the route's handlers. The guard runs the admissions deferred for this request, now
 * that `req.route` names the template, and passes every other request straight on.
 *
 * The router assigns `req.route` as soon as a route matches, before the route starts its
 * dispatch, so the guard is in place for the very request that first reaches a route.
 *
 * This relies on two parts of Express's `Route` that are the same in Express 4 and 5: the
 * `stack` array of handler layers and the `methods` map. An unexpected shape throws rather than
 * leaving routes silently unguarded.
 */

/** A deferred admission: it calls `proceed()` to go on, or answers the request itself. */
export type Admission = (proceed: NextFunction) => void

interface RouteInternals {
  stack: unknown[]
  methods: Record<string, unknown>
  all(handler: RequestHandler): unknown
}

// A request's deferred admissions and its real `req.route` live in a weak map: a property added
// to `req` costs a new hidden class per request (Express swaps the prototype of every request),
// and a weak entry is only paid by requests under a deferring app.use. The `route` accessor
// below is the one property the hook puts on `req`.
interface Hook {
  pending: Admission[] | undefined
  route: unknown
}
const hooks = new WeakMap<Request, Hook>()
const guardedRoutes = new WeakSet<object>()

/** Runs `admission` once a route matches `req`; never if none does (nothing to guard then). */
export function deferToRoute(req: Request, admission: Admission): void {
  const hook = hooks.get(req)
  if (hook === undefined) {
    hooks.set(req, { pending: [admission], route: req.route })
    Object.defineProperty(req, 'route', ROUTE_ACCESSOR)
  } else if (hook.pending === undefined) hook.pending = [admission]
  else hook.pending.push(admission)
}

// One accessor pair for every request: V8 then shares the request's hidden class after the
// property is redefined, where a closure pair per request would turn each request into a
// dictionary-mode object (slower for every later property access in Express).
const ROUTE_ACCESSOR: PropertyDescriptor = {
  configurable: true,
  enumerable: true,
  get(this: Request): unknown {
    return hooks.get(this)?.route
  },
  set(this: Request, value: unknown): void {
    const hook = hooks.get(this)
    if (hook === undefined) return
    hook.route = value
    if (hook.pending !== undefined) guardRoute(value)
  },
}

function guardRoute(route: unknown): void {
  if (typeof route !== 'object' || route === null || guardedRoutes.has(route)) return
  if (!isRouteInternals(route)) {
    throw new TypeError('@tripswitch/express: unsupported Express router (a route has no stack)')
  }
  const handlers = route.stack
  const hadAll = route.methods._all
  // Requests already inside this route hold the old array and an index into it: build a new
  // array rather than shift theirs, or one of their handlers would run twice.
  route.stack = handlers.slice()
  route.all(runDeferred)
  // all() also marks the route as answering every method; the guard must not change routing.
  if (hadAll === undefined) delete route.methods._all
  route.stack = [route.stack[handlers.length], ...handlers]
  guardedRoutes.add(route)
}

function isRouteInternals(route: object): route is RouteInternals {
  const r = route as Partial<Record<keyof RouteInternals, unknown>>
  return Array.isArray(r.stack) && typeof r.methods === 'object' && typeof r.all === 'function'
}

/** The guard in front of each route reached by a deferring middleware. */
function runDeferred(req: Request, _res: Response, next: NextFunction): void {
  const hook = hooks.get(req)
  const queue = hook?.pending
  if (hook === undefined || queue === undefined) {
    next()
    return
  }
  // Admitted once, by the first matching route; later routes of the same request pass.
  hook.pending = undefined
  runFrom(queue, 0, next)
}

function runFrom(queue: Admission[], index: number, next: NextFunction): void {
  const admission = queue[index]
  if (admission === undefined) {
    next()
    return
  }
  admission((signal?: unknown) =>
    signal === undefined ? runFrom(queue, index + 1, next) : next(signal),
  )
}
