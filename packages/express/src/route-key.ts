import type { Request } from 'express'

/**
 * The default breaker key: method, mount path and route template, e.g. `GET /api/users/:id`
 * (`GET` also for a HEAD request a GET route answers).
 * Undefined while no route is matched. Never built from `req.url`, `req.path` or the query, so
 * ids and query strings cannot multiply breakers.
 *
 * `req.baseUrl` is the only record Express keeps of the mount path. Under a mount path with
 * parameters (`app.use('/tenants/:tenant', router)`) it holds their values, so such routers
 * get one breaker per value (still bounded by the registry); pass `key` there instead.
 */
export function routeKey(req: Request): string | undefined {
  const route = req.route as unknown
  if (typeof route !== 'object' || route === null) return undefined
  // The key of the route's last request: most requests of a route repeat its method and mount
  // path, and building the key costs more than comparing them.
  // Most requests are for the route the previous request took: one comparison, no map lookup.
  const last = route === lastRoute ? lastEntry : lastKeys.get(route)
  const { method, baseUrl } = req
  const path: unknown = (route as { path?: unknown }).path
  if (
    last !== undefined &&
    last.method === method &&
    last.baseUrl === baseUrl &&
    last.route === path
  ) {
    lastRoute = route
    lastEntry = last
    return last.key
  }
  const template = templateOf(route)
  if (template === undefined) return undefined
  const key = `${methodOf(req, route)} ${baseUrl}${template}`
  // A HEAD key depends on the handlers the route has, and a list of paths can be changed in
  // place: neither is cached.
  if (method !== 'HEAD' && !Array.isArray(path))
    lastKeys.set(route, { method, baseUrl, route: path, key })
  return key
}

/** A key with what it was built from. */
interface KeyEntry {
  readonly method: string
  readonly baseUrl: string
  readonly route: unknown
  readonly key: string
}

/** The last key built for each route. */
const lastKeys = new WeakMap<object, KeyEntry>()
// The route of the last request keyed from the cache, and its entry (a single route kept alive).
let lastRoute: object | undefined
let lastEntry: KeyEntry | undefined

/**
 * `GET` for a HEAD request that a GET route serves: Express runs a route's GET handlers for HEAD
 * when it has no HEAD handler of its own, so both are one endpoint and share one breaker.
 */
function methodOf(req: Request, route: unknown): string {
  if (req.method !== 'HEAD') return req.method
  const methods: unknown = (route as { methods?: unknown }).methods
  if (typeof methods !== 'object' || methods === null) return req.method
  const { get, head } = methods as { get?: unknown; head?: unknown }
  return get === true && head !== true ? 'GET' : req.method
}

function templateOf(route: unknown): string | undefined {
  if (typeof route !== 'object' || route === null) return undefined
  const path: unknown = (route as { path?: unknown }).path
  if (typeof path === 'string') return path
  if (path instanceof RegExp) return String(path)
  // app.get(['/a', '/b'], ...) is one route with several paths: one breaker for all of them.
  if (Array.isArray(path)) return path.map(String).join(',')
  return undefined
}
