import type { Request } from 'express'

/**
 * The default breaker key: method, mount path and route template, e.g. `GET /api/users/:id`.
 * Undefined while no route is matched. Never built from `req.url`, `req.path` or the query, so
 * ids and query strings cannot multiply breakers.
 *
 * `req.baseUrl` is the only record Express keeps of the mount path. Under a mount path with
 * parameters (`app.use('/tenants/:tenant', router)`) it holds their values, so such routers
 * get one breaker per value (still bounded by the registry); pass `key` there instead.
 */
export function routeKey(req: Request): string | undefined {
  const template = templateOf(req.route as unknown)
  return template === undefined ? undefined : `${req.method} ${req.baseUrl}${template}`
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
