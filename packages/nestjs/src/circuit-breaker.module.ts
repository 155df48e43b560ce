import { Module } from '@nestjs/common'
import { DiscoveryModule } from '@nestjs/core'
import { CircuitBreakerRegistry, defaultRegistry, InvalidOptionsError } from '@tripswitch/core'
import { checks } from '@tripswitch/core/adapter'
import { CircuitBreakerDashboard } from './circuit-breaker.dashboard.ts'
import { checkDashboardOptions } from './circuit-breaker.dashboard-options.ts'
import { CircuitBreakerExplorer } from './circuit-breaker.explorer.ts'
import { CircuitBreakerHealthIndicator } from './circuit-breaker.health-indicator.ts'
import {
  ConfigurableModuleClass,
  TRIPSWITCH_MODULE_OPTIONS,
} from './circuit-breaker.module-definition.ts'
import type { TripswitchModuleOptions } from './circuit-breaker.options.ts'
import { ownOptions } from './circuit-breaker.own-options.ts'
import { CircuitBreakerTransitions } from './circuit-breaker.transitions.ts'

const OWN_REGISTRY_KEYS = ['defaults', 'store', 'clock', 'maxBreakers'] as const
// Module options that configure the adapter, not the registry.
const ADAPTER_KEYS = ['logTransitions', 'dashboard']
const MODULE_KEYS = new Set([...OWN_REGISTRY_KEYS, 'registry', ...ADAPTER_KEYS])

/**
 * The registry the module provides: the one given; a new one from `defaults`, `store`, `clock`
 * and `maxBreakers` (core validates them, so a bad option fails the boot); or, given none of
 * these, core's `defaultRegistry()`, which every adapter given no registry shares.
 */
export function createRegistry(options: TripswitchModuleOptions = {}): CircuitBreakerRegistry {
  checks.objectWith([], 'an options object')(options, 'options')
  // Own properties only: a value set on Object.prototype is never an option.
  const given = ownOptions(options)
  checks.rejectUnknownKeys(given, MODULE_KEYS)
  if (given.defaults !== undefined) {
    checks.objectWith([], 'an options object')(given.defaults, 'defaults')
    // Core copies the defaults by assignment, where an own __proto__ would become a prototype.
    ownOptions(given.defaults, [], 'defaults.')
  }
  const { logTransitions } = given
  if (logTransitions !== undefined && typeof logTransitions !== 'boolean')
    throw new InvalidOptionsError('logTransitions', 'true or false', logTransitions)
  if (given.dashboard !== undefined) checkDashboardOptions(given.dashboard)
  const { registry } = given
  const own = ownOptions(given, ['registry', ...ADAPTER_KEYS])
  if (registry === undefined) {
    const configured = OWN_REGISTRY_KEYS.some((key) => own[key] !== undefined)
    return configured ? new CircuitBreakerRegistry(own) : defaultRegistry()
  }
  checks.objectWith(['get', 'health', 'validate'], 'a CircuitBreakerRegistry')(registry, 'registry')
  for (const key of OWN_REGISTRY_KEYS) {
    if (own[key] !== undefined) {
      const rule = 'absent when a registry is given (configure that registry instead)'
      throw new InvalidOptionsError(key, rule, own[key])
    }
  }
  return registry
}

/**
 * Circuit breakers for a Nest application: provides the `CircuitBreakerRegistry` (inject it
 * with `@Inject(CircuitBreakerRegistry)`) that `@CircuitBreaker()` handlers use, and the
 * `CircuitBreakerHealthIndicator`; checks every `@CircuitBreaker()`'s options at start-up; with
 * `dashboard`, serves `@tripswitch/dashboard` over the registry.
 *
 * ```ts
 * TripswitchModule.forRoot({ defaults: { errorThreshold: 5 }, isGlobal: true })
 * TripswitchModule.forRootAsync({ inject: [ConfigService], useFactory: (c) => ({ ... }) })
 * TripswitchModule.forRoot({ dashboard: { path: '/circuits', authorize: isAdmin } })
 * ```
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: CircuitBreakerRegistry,
      useFactory: createRegistry,
      inject: [TRIPSWITCH_MODULE_OPTIONS],
    },
    CircuitBreakerHealthIndicator,
    CircuitBreakerExplorer,
    CircuitBreakerTransitions,
    CircuitBreakerDashboard,
  ],
  exports: [CircuitBreakerRegistry, CircuitBreakerHealthIndicator],
})
export class TripswitchModule extends ConfigurableModuleClass {}
