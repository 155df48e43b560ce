import { clip, UsageError } from './errors.ts'

// The values of the options that take one, each checked where it is read, so that a bad one is
// a usage error naming the option (and never a failure later, against Redis or the instance).

/** Default of `--timeout`, in ms. */
export const DEFAULT_TIMEOUT_MS = 5_000

/** @throws {UsageError} unless `value` is a `redis://` or `rediss://` URL. */
export function checkRedisUrl(value: string, command: string): void {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new UsageError(
      `--redis needs a URL like redis://127.0.0.1:6379 (got "${clip(value)}")`,
      command,
    )
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new UsageError(
      `--redis needs a redis:// or rediss:// URL (got "${clip(url.protocol)}")`,
      command,
    )
}

/**
 * The `--url` as the base the API paths resolve against (path ending in `/`, no query).
 * @throws {UsageError} unless an http(s) URL without credentials.
 */
export function httpUrl(value: string, command: string): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new UsageError(
      `--url needs a URL like http://127.0.0.1:3000/circuits (got "${clip(value)}")`,
      command,
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(
      `--url needs an http:// or https:// URL (got "${clip(url.protocol)}")`,
      command,
    )
  if (url.username !== '' || url.password !== '')
    throw new UsageError(
      '--url must not carry credentials; pass --header "Authorization: ..."',
      command,
    )
  // The API lives under the mount point: `api/circuits` resolves against a path ending in `/`.
  if (!url.pathname.endsWith('/')) url.pathname += '/'
  url.search = ''
  url.hash = ''
  return url
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/**
 * A `--header "Name: value"` as a pair.
 * @throws {UsageError} for a missing or invalid name, or a line break in the value.
 */
export function header(value: string, command: string): [string, string] {
  const colon = value.indexOf(':')
  const name = colon < 0 ? '' : value.slice(0, colon).trim()
  const content = colon < 0 ? '' : value.slice(colon + 1).trim()
  if (!TOKEN.test(name))
    // The value is not quoted: it is often a secret (a token).
    throw new UsageError('--header needs "Name: value", a header name before the colon', command)
  // CR, LF and NUL would split or end the header: refused, never sent.
  if (/[\r\n\0]/.test(content))
    throw new UsageError(`--header ${clip(name)} holds a line break`, command)
  return [name, content]
}

/**
 * `--timeout` in ms, {@link DEFAULT_TIMEOUT_MS} when absent.
 * @throws {UsageError} unless 1 to 7 digits, at least 1.
 */
export function timeoutOf(value: string | undefined, command: string): number {
  if (value === undefined) return DEFAULT_TIMEOUT_MS
  const ms = /^\d{1,7}$/.test(value) ? Number(value) : Number.NaN
  if (!(ms >= 1))
    throw new UsageError(
      `--timeout needs milliseconds from 1 to 9999999 (got "${clip(value)}")`,
      command,
    )
  return ms
}
