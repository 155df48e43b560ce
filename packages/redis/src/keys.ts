import { createHash } from 'node:crypto'

// Names made only of these characters (and short enough) become keys as they are, so keys stay
// readable; anything else is hashed. `~` is outside the set, so a hashed id never equals a raw one.
const RAW_NAME = /^[A-Za-z0-9._:/-]{1,100}$/

// Never a byte of UTF-8: it marks a hash input as UTF-16 code units, so those inputs never
// equal the UTF-8 bytes of another name.
const UTF16_MARK = Buffer.from([0xff])
// With the u flag a surrogate class matches only surrogates that are not part of a pair.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u

/**
 * The bytes a name is hashed from, one-to-one with the name. A well-formed name hashes as UTF-8
 * (as ever, so its key does not move); a name with a lone surrogate, which UTF-8 would turn into
 * U+FFFD and so merge with other names, hashes as its UTF-16 code units after a 0xFF mark.
 */
function hashInput(name: string): Buffer {
  if (!LONE_SURROGATE.test(name)) return Buffer.from(name, 'utf8')
  return Buffer.concat([UTF16_MARK, Buffer.from(name, 'utf16le')])
}

/**
 * The id of breaker `name` inside keys: the name itself when it is 1 to 100 characters of
 * `A-Z a-z 0-9 . _ : / -`, otherwise `~` + its SHA-256 in base64url (43 characters). Braces,
 * spaces, control characters and glob patterns therefore never reach a key, the hash tag `{id}`
 * keeps one breaker's keys in one cluster slot, and distinct names (lone UTF-16 surrogates
 * included) get distinct ids.
 */
export function breakerId(name: string): string {
  if (RAW_NAME.test(name)) return name
  return `~${createHash('sha256').update(hashInput(name)).digest('base64url')}`
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

/**
 * The fleet's keys under `prefix`, all in the hash slot `{~fleet}` (no breaker id is `~fleet`:
 * raw ids never hold `~` and hashed ones are 44 characters), so each fleet script runs on one node.
 */
export interface FleetKeys {
  /** Zset: recorded circuit name -> time last registered. */
  readonly circuits: string
  /** Zset: instance id -> time of its last heartbeat. */
  readonly instances: string
  /** The set of recorded names instance `id` holds a breaker for. */
  names(id: string): string
}

/** The fleet's keys under `prefix`. */
export function fleetKeysOf(prefix: string): FleetKeys {
  const base = `${prefix}{~fleet}:`
  return {
    circuits: `${base}c`,
    instances: `${base}i`,
    names: (id) => `${base}n:${id}`,
  }
}
