import { InvalidOptionsError } from '@tripswitch/core'
import { checks } from '@tripswitch/core/adapter'
import { register as defaultRegister, type Registry, type RegistryContentType } from 'prom-client'

/** A shared store whose reachability `store_up` reports, e.g. a `RedisStore`. */
export interface StoreHealthSource {
  /** True while the store is unreachable (the breakers run on local state). */
  readonly unavailable: boolean
}

/** Options of {@link registerMetrics}. */
export interface PrometheusMetricsOptions {
  /**
   * The prom-client registry the metrics join, set to the Prometheus text format or to
   * OpenMetrics. @default prom-client's global `register`
   */
  register?: Registry<RegistryContentType>
  /**
   * Prefix of every metric name. A second breaker registry exported into the same prom-client
   * registry needs a prefix of its own (metric names are unique per prom-client registry).
   * @default 'tripswitch_'
   */
  prefix?: string
  /**
   * Export `call_duration_seconds{name,kind}`, a histogram of call durations. Off by default:
   * it makes every breaker of the process read its clock once per call.
   * @default false
   */
  histogram?: boolean
  /** Upper bounds (seconds, increasing) of the histogram's buckets. @default prom-client's defaults (0.005 to 10) */
  buckets?: readonly number[]
  /** A shared store (anything with an `unavailable` boolean, e.g. a `RedisStore`) for `store_up`. @default none (no `store_up` metric) */
  store?: StoreHealthSource
}

/** {@link PrometheusMetricsOptions} with the defaults applied. */
export interface ResolvedMetricsOptions {
  readonly register: Registry<RegistryContentType>
  readonly prefix: string
  readonly histogram: boolean
  readonly buckets: readonly number[] | undefined
  readonly store: StoreHealthSource | undefined
}

const KNOWN = new Set(['register', 'prefix', 'histogram', 'buckets', 'store'])
// A metric name is [a-zA-Z_:][a-zA-Z0-9_:]*; a prefix may also be empty.
const PREFIX = /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*)?$/
const REGISTER_METHODS = ['registerMetric', 'getSingleMetric', 'removeSingleMetric', 'metrics']

/**
 * Checks the options and applies the defaults.
 * @throws {InvalidOptionsError} naming the option, the rule and the value.
 */
export function resolveMetricsOptions(options: unknown): ResolvedMetricsOptions {
  if (options === undefined) options = {}
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new InvalidOptionsError('options', 'an options object', options)
  const given = checks.withoutUndefined(checks.ownOptions(options))
  checks.rejectUnknownKeys(given, KNOWN)
  const { register, prefix, histogram, buckets, store } = given as PrometheusMetricsOptions
  if (register !== undefined)
    checks.objectWith(REGISTER_METHODS, 'a prom-client Registry')(register, 'register')
  if (
    prefix !== undefined &&
    (typeof prefix !== 'string' || prefix.length > 128 || !PREFIX.test(prefix))
  )
    throw new InvalidOptionsError(
      'prefix',
      'a metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*, at most 128 characters), or empty',
      prefix,
    )
  if (histogram !== undefined && typeof histogram !== 'boolean')
    throw new InvalidOptionsError('histogram', 'true or false', histogram)
  if (buckets !== undefined) checkBuckets(buckets)
  if (store !== undefined) checkStore(store)
  return {
    register: register ?? defaultRegister,
    prefix: prefix ?? 'tripswitch_',
    histogram: histogram ?? false,
    buckets: buckets === undefined ? undefined : [...buckets],
    store,
  }
}

function checkBuckets(buckets: unknown): void {
  const rule = 'a non-empty array of increasing finite numbers of seconds > 0'
  if (!Array.isArray(buckets) || buckets.length === 0 || buckets.length > 100)
    throw new InvalidOptionsError('buckets', rule, buckets)
  let previous = 0
  for (const bound of buckets as unknown[]) {
    if (typeof bound !== 'number' || !Number.isFinite(bound) || bound <= previous)
      throw new InvalidOptionsError('buckets', rule, buckets)
    previous = bound
  }
}

function checkStore(store: unknown): void {
  const ok =
    typeof store === 'object' &&
    store !== null &&
    typeof (store as { unavailable?: unknown }).unavailable === 'boolean'
  if (!ok)
    throw new InvalidOptionsError(
      'store',
      'a store with an `unavailable` boolean (e.g. a RedisStore)',
      store,
    )
}
