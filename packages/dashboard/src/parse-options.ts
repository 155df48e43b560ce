import { InvalidOptionsError, type StateStore } from '@tripswitch/core'
import { type Check, checks } from '@tripswitch/core/adapter'
import type {
  ActionLogEntry,
  DashboardOptions,
  FleetSource,
  ResolvedDashboardOptions,
} from './options.ts'

/** Defaults of the dashboard's options. */
export const DASHBOARD_DEFAULTS: {
  readonly intervalMs: number
  readonly sampleMs: number
  readonly maxClients: number
} = Object.freeze({ intervalMs: 1_000, sampleMs: 5_000, maxClients: 32 })

const KNOWN = new Set([
  'registry',
  'store',
  'authorize',
  'basePath',
  'intervalMs',
  'sampleMs',
  'maxClients',
  'log',
])

const registryCheck: Check = checks.objectWith(
  ['get', 'has', 'list', 'snapshot', 'on'],
  'a CircuitBreakerRegistry',
)

// A path segment character set that needs no escaping anywhere it is echoed (URL, header, HTML).
const BASE_PATH = /^(\/[A-Za-z0-9._~!$&'()*+,;=:@-]+)+\/?$|^\/$/

const basePathCheck: Check = (value, path) => {
  if (typeof value !== 'string' || value.length > 256 || !BASE_PATH.test(value))
    throw new InvalidOptionsError(
      path,
      "a path such as '/circuits' (starting with '/', no query, at most 256 characters)",
      value,
    )
}

/** Validates the options of `createDashboard` and applies the defaults. */
export function parseOptions(input: DashboardOptions): ResolvedDashboardOptions {
  checks.objectWith([], 'an options object')(input, 'options')
  // Own properties only: a value set on Object.prototype is never an option.
  const given = checks.withoutUndefined(checks.ownOptions(input)) as Partial<
    Record<keyof DashboardOptions, unknown>
  >
  checks.rejectUnknownKeys(given, KNOWN)
  if (given.registry === undefined)
    throw new InvalidOptionsError('registry', 'a CircuitBreakerRegistry', undefined)
  registryCheck(given.registry, 'registry')
  if (given.store !== undefined) checks.objectWith([], 'a store object')(given.store, 'store')
  for (const key of ['authorize', 'log'] as const)
    if (given[key] !== undefined) checks.func(given[key], key)
  if (given.basePath !== undefined) basePathCheck(given.basePath, 'basePath')
  for (const key of ['intervalMs', 'sampleMs'] as const)
    if (given[key] !== undefined) checks.duration(given[key], key)
  if (given.maxClients !== undefined) checks.positiveInteger(given.maxClients, 'maxClients')
  const options = given as DashboardOptions
  return Object.freeze({
    registry: options.registry,
    store: isStateStore(options.store) ? options.store : undefined,
    fleet: isFleetSource(options.store) ? options.store : undefined,
    authorize: options.authorize,
    basePath: (options.basePath ?? '').replace(/\/$/, ''),
    intervalMs: options.intervalMs ?? DASHBOARD_DEFAULTS.intervalMs,
    sampleMs: options.sampleMs ?? DASHBOARD_DEFAULTS.sampleMs,
    maxClients: options.maxClients ?? DASHBOARD_DEFAULTS.maxClients,
    log: options.log ?? logToConsole,
  })
}

function logToConsole(entry: ActionLogEntry): void {
  console.warn(JSON.stringify({ tripswitch: 'dashboard-action', ...entry }))
}

/** True when `store` lists the fleet: a `fleet()` method and an `instanceId` string. */
export function isFleetSource(store: unknown): store is FleetSource {
  if (typeof store !== 'object' || store === null) return false
  const candidate = store as Partial<Record<keyof FleetSource, unknown>>
  return typeof candidate.fleet === 'function' && typeof candidate.instanceId === 'string'
}

function isStateStore(store: unknown): store is StateStore {
  if (typeof store !== 'object' || store === null) return false
  return typeof (store as { transition?: unknown }).transition === 'function'
}
