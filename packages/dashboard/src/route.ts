import type { IncomingMessage } from 'node:http'
import { type Asset, findAsset } from './assets.ts'
import type { DashboardAction } from './options.ts'

/** Where the page's files are served, under the mount prefix. */
const ASSETS_PATH = '/assets/'

const ACTIONS: ReadonlySet<string> = new Set<DashboardAction>(['open', 'disable', 'close', 'reset'])

/** What a request asks for, relative to where the dashboard is mounted. */
export type Route =
  | { readonly kind: 'page' }
  | { readonly kind: 'asset'; readonly asset: Asset }
  | { readonly kind: 'list' }
  | { readonly kind: 'events' }
  | { readonly kind: 'circuit'; readonly name: string }
  | { readonly kind: 'action'; readonly name: string; readonly action: DashboardAction }
  | { readonly kind: 'redirect' }
  | { readonly kind: 'bad-name' }

/** Where a request lands: the mount prefix (no trailing slash) and the route, if any. */
export interface Located {
  /** The mount prefix, `''` at the root; always starts with one `/` otherwise. */
  readonly prefix: string
  /** What is asked for; null for a path the dashboard does not serve. */
  readonly route: Route | null
}

interface MountedRequest {
  readonly url?: string | undefined
  // Express keeps the whole URL and the mount path when it strips a prefix from `url`.
  readonly originalUrl?: unknown
  readonly baseUrl?: unknown
}

/**
 * Finds the route of `req`. With a `basePath`, the whole URL must start with it (Express's and
 * middie's `originalUrl` when there is one, so a basePath also works under a framework that
 * strips the mount path). Without one, `req.url` is the path inside the dashboard, and the
 * prefix is Express's `baseUrl`, or what `originalUrl` has in front of `req.url`.
 */
export function locate(req: IncomingMessage, basePath: string): Located | null {
  const mounted = req as MountedRequest
  const original = typeof mounted.originalUrl === 'string' ? pathOf(mounted.originalUrl) : undefined
  if (basePath !== '') {
    const whole = original ?? pathOf(req.url)
    if (whole !== basePath && !whole.startsWith(`${basePath}/`)) return null
    return { prefix: basePath, route: routeOf(whole.slice(basePath.length)) }
  }
  const path = pathOf(req.url)
  const whole = original ?? path
  const prefix = normalisePrefix(
    typeof mounted.baseUrl === 'string' ? mounted.baseUrl : prefixOf(whole, path),
  )
  // Mounted at `/circuits`, a request for `/circuits` reaches the handler as `/`.
  const bare = prefix !== '' && path === '/' && !whole.endsWith('/')
  return { prefix, route: routeOf(bare ? '' : path) }
}

/** What a framework cut off the front of `whole` to leave `path`. */
function prefixOf(whole: string, path: string): string {
  if (whole.endsWith(path)) return whole.slice(0, whole.length - path.length)
  return path === '/' ? whole : ''
}

/** The path of a request target: before `?` or `#`. */
function pathOf(url: string | undefined): string {
  const target = url ?? '/'
  const end = target.search(/[?#]/)
  return end === -1 ? target : target.slice(0, end)
}

/** One leading slash, none trailing: `//evil.example` must never become a prefix. */
function normalisePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, '').replace(/\/+$/, '')
  return trimmed === '' ? '' : `/${trimmed}`
}

function routeOf(path: string): Route | null {
  if (path === '') return { kind: 'redirect' }
  if (path === '/') return { kind: 'page' }
  if (path === '/api/circuits') return { kind: 'list' }
  if (path === '/api/events') return { kind: 'events' }
  if (path.startsWith(ASSETS_PATH)) {
    const asset = findAsset(path.slice(ASSETS_PATH.length))
    return asset === undefined ? null : { kind: 'asset', asset }
  }
  const parts = path.split('/')
  if (parts[1] !== 'api' || parts[2] !== 'circuits' || parts.length > 5) return null
  const name = decodeSegment(parts[3]!)
  if (name === '') return null
  if (name === undefined) return { kind: 'bad-name' }
  if (parts.length === 4) return { kind: 'circuit', name }
  const action = parts[4]!
  return ACTIONS.has(action) ? { kind: 'action', name, action: action as DashboardAction } : null
}

/** A percent-decoded path segment; undefined when its encoding is malformed. */
function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}
