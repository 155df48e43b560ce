import { checks } from '@tripswitch/core/adapter'
import type { InternalAxiosRequestConfig } from 'axios'
import type { KeyFunction, KeyMode } from './options.ts'

// An absolute URL (`scheme://`) or a protocol-relative one (`//host`), as axios decides.
const ABSOLUTE = /^([a-z][a-z\d+\-.]*:)?\/\//i
// Scheme and authority: all that decides an origin, and few distinct values per process.
const AUTHORITY = /^[a-z][a-z\d+\-.]*:\/\/[^/?#]*/i
const MAX_CACHED = 1_000

/** The URL the request goes to: an absolute `url`, else `baseURL`, else `url`. */
function target(config: InternalAxiosRequestConfig): string {
  const url = config.url ?? ''
  const base = config.baseURL
  if (base === undefined || base === '') return url
  return ABSOLUTE.test(url) && config.allowAbsoluteUrls !== false ? url : base
}

/**
 * The URL the request goes to, without the regex for the common case of a path (`/x`) under
 * a `baseURL`: a path is never absolute.
 */
function fastTarget(config: InternalAxiosRequestConfig): string {
  const { url, baseURL } = config
  if (
    typeof url === 'string' &&
    typeof baseURL === 'string' &&
    baseURL !== '' &&
    url.charCodeAt(0) === 47 &&
    url.charCodeAt(1) !== 47
  )
    return baseURL
  return target(config)
}

/**
 * A key read off the parsed URL, cached by the whole target and by scheme + authority (URL
 * parsing costs ~1 µs, the authority regex a few hundred ns; targets under a `baseURL` are few).
 */
function parsedKey(read: (url: URL) => string): KeyFunction {
  const cache = new Map<string, string>()
  const byTarget = new Map<string, string>()
  return (config) => {
    const url = fastTarget(config)
    const known = byTarget.get(url)
    if (known !== undefined) return known
    const key = authorityKey(url, cache, read)
    if (byTarget.size >= MAX_CACHED) byTarget.clear()
    byTarget.set(url, key)
    return key
  }
}

function authorityKey(url: string, cache: Map<string, string>, read: (url: URL) => string): string {
  const authority = AUTHORITY.exec(url)?.[0]
  if (authority === undefined) return read(new URL(url))
  let key = cache.get(authority)
  if (key === undefined) {
    key = read(new URL(authority))
    if (cache.size >= MAX_CACHED) cache.clear()
    cache.set(authority, key)
  }
  return key
}

/** `scheme://host:port` of the request (default ports omitted, lower case). */
export const originKey: KeyFunction = parsedKey((url) => url.origin)

/** `host:port` of the request (default port omitted, lower case). */
export const hostKey: KeyFunction = parsedKey((url) => url.host)

/** The key function for a `key` option (validated before). */
export function keyFunction(key: KeyMode | KeyFunction | undefined): KeyFunction {
  if (typeof key === 'function') {
    return (config) => {
      const value = key(config)
      checks.nonEmptyString(value, 'key')
      return value
    }
  }
  return key === 'host' ? hostKey : originKey
}
