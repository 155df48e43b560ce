import type { NextFunction, Request, RequestHandler, Response } from 'express'
import type { Slots } from './request-slots.ts'

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
export interface Admission {
  admitOnRoute(proceed: NextFunction): void
}

interface RouteInternals {
  stack: unknown[]
  methods: Record<string, unknown>
  all(handler: RequestHandler): unknown
}

// Where a request's deferred admissions wait: a symbol slot of `res.locals` (see
// request-slots.ts), which costs neither a hidden class on `req` nor a weak entry.
const PENDING = Symbol('tripswitch deferred admissions')
const guardedRoutes = new WeakSet<object>()
const hookedPrototypes = new WeakSet<object>()

/**
 * Runs `admission` once a route matches `req`; never if none does (nothing to guard then).
 * `slots` are the request's (see request-slots.ts), read once by the caller.
 */
export function deferToRoute(
  req: Request,
  res: Response,
  slots: Slots,
  admission: Admission,
): void {
  if (!hookPrototype(req, res)) {
    deferOnRequest(req, admission)
    return
  }
  const pending = slots[PENDING] as Admission[] | undefined
  if (pending === undefined) slots[PENDING] = [admission]
  else pending.push(admission)
}

/**
 * Watches `req.route` on the request's prototype: Express gives each app's requests one
 * prototype (`app.request`, which has the app as an own `app`), so the accessor is defined
 * once per app rather than once per request. False, and nothing changed, when the request is
 * not shaped so (no Express app prototype, an own `route` already, or `req.res` not this
 * response): the request then gets an accessor of its own.
 */
function hookPrototype(req: Request, res: Response): boolean {
  const proto: unknown = Object.getPrototypeOf(req)
  if (typeof proto !== 'object' || proto === null) return false
  // Hooked already: the app's requests never get an own `route` (the setter keeps it in a
  // symbol slot), and Express sets `req.res` before any middleware runs. No lookups on `req`.
  if (hookedPrototypes.has(proto)) return true
  if ((req as { res?: unknown }).res !== res || Object.hasOwn(req, 'route')) return false
  if (!Object.hasOwn(proto, 'app') || Object.hasOwn(proto, 'route')) return false
  Object.defineProperty(proto, 'route', PROTOTYPE_ROUTE)
  hookedPrototypes.add(proto)
  return true
}

// Where a request of a hooked app keeps its route: a symbol-keyed property of the request,
// set by a plain assignment, as Express's own `req.route = route` would. Redefining `route` on
// the request instead (Object.defineProperty) made V8 rebuild the request's properties, which
// cost more than the rest of the middleware. `req.route` reads and writes as before; it is no
// longer an own property of the request.
const ROUTE = Symbol('tripswitch route')

const PROTOTYPE_ROUTE: PropertyDescriptor = {
  configurable: true,
  enumerable: false,
  get(this: Request): unknown {
    return (this as unknown as Record<symbol, unknown>)[ROUTE]
  },
  set(this: Request, value: unknown): void {
    ;(this as unknown as Record<symbol, unknown>)[ROUTE] = value
    // A route guarded already needs nothing more: no lookups on `req` and `res` then.
    if (typeof value !== 'object' || value === null || guardedRoutes.has(value)) return
    const res = (this as { res?: Response }).res
    const slots = res?.locals as Slots | undefined
    if (slots?.[PENDING] !== undefined) guardRoute(value)
  },
}

// The fallback, for a request whose prototype cannot be hooked: its deferred admissions and
// its real `req.route` live in a weak map, and the `route` accessor below is put on the
// request itself.
interface Hook {
  pending: Admission[] | undefined
  route: unknown
}
const hooks = new WeakMap<Request, Hook>()

function deferOnRequest(req: Request, admission: Admission): void {
  const hook = hooks.get(req)
  if (hook === undefined) {
    hooks.set(req, { pending: [admission], route: req.route })
    Object.defineProperty(req, 'route', ROUTE_ACCESSOR)
  } else if (hook.pending === undefined) hook.pending = [admission]
  else hook.pending.push(admission)
}

// One accessor pair for every such request: V8 then shares the request's hidden class after
// the property is redefined, where a closure pair per request would turn each request into a
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
function runDeferred(req: Request, res: Response, next: NextFunction): void {
  const queue = takePending(req, res)
  if (queue === undefined) next()
  else runFrom(queue, 0, next)
}

/** The request's deferred admissions, taken: the first matching route admits, later ones pass. */
function takePending(req: Request, res: Response): Admission[] | undefined {
  const slots = res.locals as Slots | undefined
  const queued = slots?.[PENDING] as Admission[] | undefined
  if (queued !== undefined) {
    slots![PENDING] = undefined
    return queued
  }
  const hook = hooks.get(req)
  const queue = hook?.pending
  if (hook !== undefined) hook.pending = undefined
  return queue
}

function runFrom(queue: Admission[], index: number, next: NextFunction): void {
  const admission = queue[index]
  if (admission === undefined) {
    next()
    return
  }
  admission.admitOnRoute((signal?: unknown) =>
    signal === undefined ? runFrom(queue, index + 1, next) : next(signal),
  )
}
