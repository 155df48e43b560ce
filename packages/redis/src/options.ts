import { checks, InvalidOptionsError } from '@tripswitch/core'
import type { Redis } from 'ioredis'

/** What the store does while Redis is unreachable or slow. */
export type StoreUnavailablePolicy = 'local' | 'open' | 'closed'

/** Options of a {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * The ioredis client for commands. The store duplicates it once for pub/sub (that connection
   * gets the safe settings below). Recommended on this client too: `commandTimeout: 200`,
   * `enableOfflineQueue: false`, `maxRetriesPerRequest: 0`. The store never waits longer than
   * its own `commandTimeout` for an answer and never sends while the client is not `ready`.
   */
  client: Redis
  /** Prefix of every key and of the pub/sub channel (`<prefix>events`). @default 'tripswitch:' */
  prefix?: string
  /** Milliseconds between flushes of the outcomes counted locally (per breaker). @default 250 */
  syncInterval?: number
  /** Milliseconds between polls of the shared state (±20 % jitter); covers lost messages. @default 2_000 */
  pollInterval?: number
  /**
   * Lifetime of a half-open probe lease in ms (a crashed prober frees its slot after this).
   * @default what the breaker asks for: twice its `timeout` or `recoveryTimeout`, the longer
   */
  leaseMs?: number
  /** Most milliseconds a store operation may take before the fallback answers. @default 200 */
  commandTimeout?: number
  /**
   * While Redis is unreachable: `local` (each breaker goes on alone), `open` (reject calls) or
   * `closed` (admit calls). @default 'local'
   */
  onStoreUnavailable?: StoreUnavailablePolicy
  /** Distinct instances that must report failures in the window before a shared trip. @default 1 */
  quorum?: number
  /** Milliseconds a state key lives after its last write. @default 604_800_000 (7 days) */
  stateTtl?: number
  /** Id of this instance for `quorum`. @default a random id */
  instanceId?: string
  /** Allows {@link RedisStore.travel} (time travel in tests). Never set in production. @default false */
  testing?: boolean
}

/** {@link RedisStoreOptions} validated, with defaults. */
export interface ResolvedStoreOptions {
  readonly client: Redis
  readonly prefix: string
  readonly syncInterval: number
  readonly pollInterval: number
  readonly leaseMs: number | undefined
  readonly commandTimeout: number
  readonly onStoreUnavailable: StoreUnavailablePolicy
  readonly quorum: number
  readonly stateTtl: number
  readonly instanceId: string
  readonly testing: boolean
}

const KNOWN = new Set([
  'client',
  'prefix',
  'syncInterval',
  'pollInterval',
  'leaseMs',
  'commandTimeout',
  'onStoreUnavailable',
  'quorum',
  'stateTtl',
  'instanceId',
  'testing',
])

const PREFIX = /^[A-Za-z0-9._:/-]{0,64}$/
const INSTANCE = /^[A-Za-z0-9._:/-]{1,64}$/

function isClient(value: unknown): value is Redis {
  if (typeof value !== 'object' || value === null) return false
  const c = value as Record<string, unknown>
  return typeof c.defineCommand === 'function' && typeof c.duplicate === 'function'
}

function pattern(value: unknown, re: RegExp, option: string, rule: string): void {
  if (typeof value !== 'string' || !re.test(value))
    throw new InvalidOptionsError(option, rule, value)
}

/** Validates `input` (throws InvalidOptionsError) and applies the defaults. */
export function resolveStoreOptions(input: RedisStoreOptions): ResolvedStoreOptions {
  if (typeof input !== 'object' || input === null)
    throw new InvalidOptionsError('options', 'an object', input)
  checks.rejectUnknownKeys(input, KNOWN)
  const o = checks.withoutUndefined(input)
  if (!isClient(o.client)) throw new InvalidOptionsError('client', 'an ioredis client', o.client)
  const prefix = o.prefix ?? 'tripswitch:'
  pattern(prefix, PREFIX, 'prefix', 'up to 64 characters of A-Z a-z 0-9 . _ : / -')
  const instanceId = o.instanceId ?? Math.random().toString(36).slice(2, 12)
  pattern(instanceId, INSTANCE, 'instanceId', '1 to 64 characters of A-Z a-z 0-9 . _ : / -')
  const resolved = {
    client: o.client,
    prefix,
    syncInterval: o.syncInterval ?? 250,
    pollInterval: o.pollInterval ?? 2_000,
    leaseMs: o.leaseMs,
    commandTimeout: o.commandTimeout ?? 200,
    onStoreUnavailable: o.onStoreUnavailable ?? 'local',
    quorum: o.quorum ?? 1,
    stateTtl: o.stateTtl ?? 604_800_000,
    instanceId,
    testing: o.testing ?? false,
  }
  for (const key of ['syncInterval', 'pollInterval', 'commandTimeout', 'stateTtl'] as const)
    checks.duration(resolved[key], key)
  if (resolved.leaseMs !== undefined) checks.duration(resolved.leaseMs, 'leaseMs')
  checks.positiveInteger(resolved.quorum, 'quorum')
  checks.oneOf(['local', 'open', 'closed'])(resolved.onStoreUnavailable, 'onStoreUnavailable')
  if (typeof resolved.testing !== 'boolean')
    throw new InvalidOptionsError('testing', 'a boolean', resolved.testing)
  return Object.freeze(resolved)
}
