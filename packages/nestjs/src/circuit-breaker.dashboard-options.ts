import { InvalidOptionsError } from '@tripswitch/core'
import { checks } from '@tripswitch/core/adapter'
import type { DashboardOptions } from '@tripswitch/dashboard'
import { ownOptions } from './circuit-breaker.own-options.ts'

/**
 * The `dashboard` option of `TripswitchModule.forRoot()`: `createDashboard`'s options (from
 * `@tripswitch/dashboard`) without `registry` and `basePath`, plus the `path` to mount at. The
 * module passes its own registry, and its `store` unless one is given here.
 */
export interface TripswitchDashboardOptions
  extends Omit<DashboardOptions, 'registry' | 'basePath'> {
  /**
   * Where the dashboard is served, from the server's root (a global prefix does not apply):
   * `'/circuits'`. Segments of letters, digits, `-`, `.`, `_` and `~`, no trailing slash, at
   * most 256 characters. Required.
   */
  path: string
}

// Unreserved URL characters only: Express 5 reads `:`, `*`, `(`, `{` and others in a mount path
// as route syntax, and these need no escaping in a URL, a header or the page.
const PATH = /^(\/(?!\.{1,2}(\/|$))[A-Za-z0-9._~-]+)+$/
const PATH_RULE =
  "a path such as '/circuits' (letters, digits, '-', '.', '_', '~' segments, no trailing slash, at most 256 characters)"
const KNOWN = new Set(['path', 'store', 'authorize', 'intervalMs', 'sampleMs', 'maxClients', 'log'])
// createDashboard options the module sets itself, with the rule their error states.
const MODULE_OWNED: ReadonlyArray<readonly [string, string]> = [
  ['registry', "absent (the dashboard shows the module's own registry)"],
  ['basePath', "absent (set 'path': the module mounts the dashboard there)"],
]

/**
 * Checks the `dashboard` option's shape and path at boot; `createDashboard` checks the rest
 * when the dashboard is mounted, and its errors are renamed `dashboard.<option>`.
 * @throws {InvalidOptionsError} naming `dashboard` or `dashboard.<option>`.
 */
export function checkDashboardOptions(value: unknown): void {
  checks.objectWith([], 'an options object')(value, 'dashboard')
  const given = ownOptions(value as object, [], 'dashboard.') as Record<string, unknown>
  for (const [key, rule] of MODULE_OWNED)
    if (key in given) throw new InvalidOptionsError(`dashboard.${key}`, rule, given[key])
  checks.rejectUnknownKeys(given, KNOWN, 'dashboard.')
  const { path } = given
  if (typeof path !== 'string' || path.length > 256 || !PATH.test(path))
    throw new InvalidOptionsError('dashboard.path', PATH_RULE, path)
}
