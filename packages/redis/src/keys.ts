import { createHash } from 'node:crypto'

// Names made only of these characters (and short enough) become keys as they are, so keys stay
// readable; anything else is hashed. `~` is outside the set, so a hashed id never equals a raw one.
const RAW_NAME = /^[A-Za-z0-9._:/-]{1,100}$/

/**
 * The id of breaker `name` inside keys: the name itself when it is short and plain, otherwise
 * `~` + sha256 in base64url. Braces, spaces, control characters and glob patterns therefore
 * never reach a key, and the hash tag `{id}` keeps one breaker's keys in one cluster slot.
 */
export function breakerId(name: string): string {
  if (RAW_NAME.test(name)) return name
  return `~${createHash('sha256').update(name, 'utf8').digest('base64url')}`
}

/** The keys of one breaker, all in the hash slot of `{id}`. */
export interface BreakerKeys {
  readonly id: string
  /** State hash. */
  readonly state: string
  /** Window hash. */
  readonly window: string
  /** Probe lease zset. */
  readonly leases: string
  /** Failure reporter zset (quorum). */
  readonly reporters: string
}

/** The keys of breaker `name` under `prefix`. */
export function keysOf(prefix: string, name: string): BreakerKeys {
  const id = breakerId(name)
  const base = `${prefix}{${id}}:`
  return {
    id,
    state: `${base}s`,
    window: `${base}w`,
    leases: `${base}l`,
    reporters: `${base}r`,
  }
}
