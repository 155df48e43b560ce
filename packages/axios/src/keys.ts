import { checks } from '@tripswitch/core'
import type { InternalAxiosRequestConfig } from 'axios'
import type { KeyFunction, KeyMode } from './options.ts'

// An absolute URL (`scheme://`) or a protocol-relative one (`//host`), as axios decides.
const ABSOLUTE = /^([a-z][a-z\d+\-.]*:)?\/\//i

/** The URL whose origin the request goes to: an absolute `url`, else `baseURL`, else `url`. */
function target(config: InternalAxiosRequestConfig): string {
  const url = config.url ?? ''
  const base = config.baseURL
  if (base === undefined || base === '') return url
  return ABSOLUTE.test(url) && config.allowAbsoluteUrls !== false ? url : base
}

/** `scheme://host:port` of the request (default ports omitted, lower case). */
export const originKey: KeyFunction = (config) => new URL(target(config)).origin

/** `host:port` of the request (default port omitted, lower case). */
export const hostKey: KeyFunction = (config) => new URL(target(config)).host

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
