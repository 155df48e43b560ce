import { InvalidOptionsError } from '@tripswitch/core'
import { checks } from '@tripswitch/core/adapter'
import type { BreakerRequest, KeyFunction, KeyOption } from './options.ts'

const MAX_CACHED = 1_000

/**
 * Scheme and authority (`http://host:port`): all that decides an origin, and few distinct
 * values per process. It ends where URL parsing ends it (`/`, `\\`, `?`, `#`), so parsing the
 * prefix gives the origin parsing the whole URL would. Undefined without `://`.
 */
function authorityOf(url: string): string | undefined {
  const start = url.indexOf('://')
  if (start < 1) return undefined
  for (let i = start + 3; i < url.length; i++) {
    const c = url.charCodeAt(i)
    // '/', '\\', '?', '#'
    if (c === 47 || c === 92 || c === 63 || c === 35) return url.slice(0, i)
  }
  return url
}

/** A key read off the parsed URL, cached by scheme + authority (URL parsing costs ~1 µs). */
function parsedKey(read: (url: URL) => string): KeyFunction {
  const cache = new Map<string, string>()
  return ({ url }) => {
    const authority = authorityOf(url)
    if (authority === undefined) return read(parse(url))
    let key = cache.get(authority)
    if (key === undefined) {
      key = read(parse(authority))
      if (cache.size >= MAX_CACHED) cache.clear()
      cache.set(authority, key)
    }
    return key
  }
}

/** An absolute URL, or a rejection naming `key` (a relative URL has no origin to key on). */
function parse(url: string): URL {
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {
    parsed = undefined
  }
  if (parsed === undefined || parsed.host === '')
    throw new InvalidOptionsError(
      'key',
      'taken from an absolute URL with a host (an undici Pool or Client gives no origin: set key to a name)',
      url,
    )
  return parsed
}

/** `scheme://host:port` of the request (default ports omitted, lower case). */
export const originKey: KeyFunction = parsedKey((url) => url.origin)

/** `host:port` of the request (default port omitted, lower case). */
export const hostKey: KeyFunction = parsedKey((url) => url.host)

/** The key function for a `key` option (validated before). */
export function keyFunction(key: KeyOption | undefined): KeyFunction {
  if (typeof key === 'function') {
    return (request: BreakerRequest) => {
      const value = key(request)
      checks.nonEmptyString(value, 'key')
      return value
    }
  }
  if (key === undefined || key === 'origin') return originKey
  if (key === 'host') return hostKey
  return () => key
}
