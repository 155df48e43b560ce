import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { InvalidOptionsError } from '@tripswitch/core'
import { checks } from '@tripswitch/core/adapter'
import type { Cluster, Redis } from 'ioredis'
import { isNodeRedis, type NodeRedisClient, type NodeRedisCluster } from './node-redis-seam.ts'

/**
 * A client the store runs on: ioredis `Redis` (one node, or Sentinel via its `sentinels`
 * option), ioredis `Cluster`, or node-redis v5 `createClient()` / `createCluster()` (connected
 * by you, with an `error` listener).
 */
export type RedisClient = Redis | Cluster | NodeRedisClient | NodeRedisCluster

/** What the store does while Redis is unreachable or slow. */
export type StoreUnavailablePolicy = 'local' | 'open' | 'closed'

/** Options of a {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * The client for commands: ioredis `Redis` (one node or Sentinel), ioredis `Cluster`, or a
   * node-redis v5 client or cluster. The store duplicates it once for pub/sub. Recommended
   * settings per client are in the README ("Running at scale"); with ioredis: `commandTimeout:
   * 200`, `enableOfflineQueue: false`, `maxRetriesPerRequest: 0`. The store never waits longer
   * than its own `commandTimeout` for an answer and never sends while the client is not ready.
   */
  client: RedisClient
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
  /**
   * Milliseconds a state key lives after its last write; an expired key is re-created from what
   * the instances know of the breaker. @default 604_800_000 (7 days)
   */
  stateTtl?: number
  /**
   * Id of this instance: the member it reports as for `quorum`, and the id {@link RedisStore.fleet}
   * lists it under. 1 to 200 characters, none of them whitespace, a control or format character,
   * or a lone surrogate. Give each process its own (a pod name, `host:pid`).
   * @default `${os.hostname()}:${process.pid}:` + 4 random hex digits
   */
  instanceId?: string
  /**
   * Milliseconds an instance still counts as holding its breakers after its last heartbeat, in
   * {@link RedisStore.fleet}. The store heartbeats with its poll, about every third of this; a
   * process that dies without `close()` drops out of the listing after this long. A duration,
   * at least 3 × `pollInterval`. @default 30_000, or 3 × `pollInterval` when that is longer
   */
  fleetTtlMs?: number
  /** Allows {@link RedisStore.travel} (time travel in tests). Never set in production. @default false */
  testing?: boolean
}

/** {@link RedisStoreOptions} validated, with defaults. */
export interface ResolvedStoreOptions {
  readonly client: RedisClient
  readonly prefix: string
  readonly syncInterval: number
  readonly pollInterval: number
  readonly leaseMs: number | undefined
  readonly commandTimeout: number
  readonly onStoreUnavailable: StoreUnavailablePolicy
  readonly quorum: number
  readonly stateTtl: number
  readonly instanceId: string
  readonly fleetTtlMs: number
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
  'fleetTtlMs',
  'testing',
])

const PREFIX = /^[A-Za-z0-9._:/-]{0,64}$/
// With the u flag \p{Cs} matches only surrogates that are not part of a pair.
const INSTANCE = /^[^\s\p{Cc}\p{Cf}\p{Cs}]{1,200}$/u
/** The longest duration (a timer's limit). */
const MAX_DURATION = 2_147_483_647
/** Longest piece of an unknown option's name quoted in an error (core clips the values). */
const QUOTED = 100

function isClient(value: unknown): value is RedisClient {
  if (typeof value !== 'object' || value === null) return false
  const c = value as Record<string, unknown>
  if (typeof c.duplicate !== 'function') return false
  return typeof c.defineCommand === 'function' || isNodeRedis(value)
}

/** The error for a bad option; an unknown option's name is quoted up to {@link QUOTED} characters. */
function invalid(option: string, rule: string, value: unknown): InvalidOptionsError {
  const name = option.length <= QUOTED ? option : `${option.slice(0, QUOTED)}…`
  return new InvalidOptionsError(name, rule, value)
}

function pattern(value: unknown, re: RegExp, option: string, rule: string): void {
  if (typeof value !== 'string' || !re.test(value)) throw invalid(option, rule, value)
}

/** The given options without `undefined` members (`undefined` means "use the default"); `null` is kept, and refused. */
function given(input: unknown): Partial<Record<keyof RedisStoreOptions, unknown>> {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw invalid('options', 'an object', input)
  for (const key of Object.keys(input))
    if (!KNOWN.has(key))
      throw invalid(
        key,
        'a known option (check the spelling)',
        (input as Record<string, unknown>)[key],
      )
  return checks.withoutUndefined(input as Record<keyof RedisStoreOptions, unknown>)
}

/**
 * `host:pid:xxxx`: readable in a listing, distinct per process (the random part tells apart a
 * pid reused after a restart). Characters the instanceId rule refuses become `-`.
 */
function defaultInstanceId(): string {
  const host =
    hostname()
      .replace(/[^\x21-\x7e]/g, '-')
      .slice(0, 150) || 'host'
  return `${host}:${process.pid}:${randomBytes(2).toString('hex')}`
}

/** Validates `input` (throws InvalidOptionsError naming the option) and applies the defaults. */
export function resolveStoreOptions(input: RedisStoreOptions): ResolvedStoreOptions {
  const o = given(input)
  // `in`, not `??`: a `null` must be refused by the option's rule, never taken as the default.
  const or = (key: keyof RedisStoreOptions, fallback: unknown): unknown =>
    key in o ? o[key] : fallback
  if (!isClient(o.client))
    throw invalid(
      'client',
      'an ioredis Redis or Cluster, or a node-redis client or cluster',
      o.client,
    )
  const prefix = or('prefix', 'tripswitch:')
  pattern(prefix, PREFIX, 'prefix', 'up to 64 characters of A-Z a-z 0-9 . _ : / -')
  const instanceId = 'instanceId' in o ? o.instanceId : defaultInstanceId()
  const rule = '1 to 200 characters, no whitespace, control character or lone surrogate'
  pattern(instanceId, INSTANCE, 'instanceId', rule)
  const durations = {
    syncInterval: or('syncInterval', 250),
    pollInterval: or('pollInterval', 2_000),
    commandTimeout: or('commandTimeout', 200),
    stateTtl: or('stateTtl', 604_800_000),
  }
  for (const [key, value] of Object.entries(durations)) checks.duration(value, key)
  // The heartbeat rides on the poll: a TTL shorter than a few polls would drop live instances.
  const minFleetTtl = Math.min((durations.pollInterval as number) * 3, MAX_DURATION)
  const fleetTtlMs = or('fleetTtlMs', Math.max(30_000, minFleetTtl))
  checks.duration(fleetTtlMs, 'fleetTtlMs')
  if ((fleetTtlMs as number) < minFleetTtl)
    throw invalid('fleetTtlMs', `>= 3 × pollInterval (${minFleetTtl} ms)`, fleetTtlMs)
  const leaseMs = or('leaseMs', undefined)
  if (leaseMs !== undefined) checks.duration(leaseMs, 'leaseMs')
  const quorum = or('quorum', 1)
  checks.positiveInteger(quorum, 'quorum')
  const onStoreUnavailable = or('onStoreUnavailable', 'local')
  checks.oneOf(['local', 'open', 'closed'])(onStoreUnavailable, 'onStoreUnavailable')
  const testing = or('testing', false)
  if (typeof testing !== 'boolean') throw invalid('testing', 'a boolean', testing)
  return Object.freeze({
    client: o.client,
    prefix: prefix as string,
    ...(durations as Record<keyof typeof durations, number>),
    leaseMs: leaseMs as number | undefined,
    onStoreUnavailable: onStoreUnavailable as StoreUnavailablePolicy,
    quorum: quorum as number,
    instanceId: instanceId as string,
    fleetTtlMs: fleetTtlMs as number,
    testing,
  })
}
