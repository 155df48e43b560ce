import { CircuitBreakerRegistry, defaultRegistry } from '@tripswitch/core'
import { checks } from '@tripswitch/core/adapter'
import { asWritten, expect, is, isOptionsObject, optional } from './check.ts'
import { COMPAT_DEFAULTS, type FastifyCircuitBreakerOptions } from './options.ts'
import { EMPTY_LAYER, type Layer, layerOf, settingsOf } from './settings.ts'

/** The plugin's options, validated. */
export interface PluginSettings {
  readonly registry: CircuitBreakerRegistry
  /** Circuit options every circuit starts from. */
  readonly defaults: Layer
  readonly openMessage: string
  readonly timeoutMessage: string
  readonly global: boolean
  readonly statusRoute: string | undefined
  readonly logTransitions: boolean
}

// Fastify's own `register` options may reach the plugin along with ours.
const REGISTER_KEYS = ['prefix', 'logLevel', 'logSerializers']

/**
 * Validates the plugin options and builds (or adopts) the registry. `null` and `undefined` mean
 * no options, as in `@fastify/circuit-breaker`.
 * @throws {InvalidOptionsError}
 */
export function resolvePluginOptions(
  input: FastifyCircuitBreakerOptions | null | undefined,
): PluginSettings {
  expect(isOptionsObject(input ?? {}), 'options', 'an options object', input)
  // Own properties only: a value set on Object.prototype is never an option.
  const given = checks.ownOptions(input ?? {}) as FastifyCircuitBreakerOptions
  const {
    timeoutErrorMessage,
    circuitOpenErrorMessage,
    cache,
    registry,
    store,
    clock,
    global,
    statusRoute,
    logTransitions,
    ...rest
  } = given
  for (const key of REGISTER_KEYS) delete (rest as Record<string, unknown>)[key]
  const name = (rest as { name?: unknown }).name
  expect(
    name === undefined,
    'name',
    'set on a route: a name on the plugin would merge every circuit into one',
    name,
  )
  optional(timeoutErrorMessage, is.string, 'timeoutErrorMessage', 'a string')
  optional(circuitOpenErrorMessage, is.string, 'circuitOpenErrorMessage', 'a string')
  optional(global, is.boolean, 'global', 'a boolean')
  optional(logTransitions, is.boolean, 'logTransitions', 'a boolean')
  const routeRule = "a path starting with '/'"
  optional(statusRoute, (v) => typeof v === 'string' && v.startsWith('/'), 'statusRoute', routeRule)
  const defaults = layerOf(rest, '')
  settingsOf(defaults, EMPTY_LAYER, '')
  return {
    registry: registryOf(registry, cache, given),
    defaults,
    openMessage: circuitOpenErrorMessage ?? COMPAT_DEFAULTS.circuitOpenErrorMessage,
    timeoutMessage: timeoutErrorMessage ?? COMPAT_DEFAULTS.timeoutErrorMessage,
    global: global ?? false,
    statusRoute,
    logTransitions: logTransitions ?? true,
  }
}

function registryOf(
  registry: unknown,
  cache: number | undefined,
  given: FastifyCircuitBreakerOptions,
): CircuitBreakerRegistry {
  if (registry === undefined) {
    // Shared with the other adapters, so one status route reports every circuit of the process.
    if (cache === undefined && given.store === undefined && given.clock === undefined)
      return defaultRegistry()
    const options = { maxBreakers: cache, store: given.store, clock: given.clock }
    const written = { maxBreakers: 'cache', 'defaults.store': 'store', 'defaults.clock': 'clock' }
    return asWritten(() => new CircuitBreakerRegistry(options), written)
  }
  const looksLikeRegistry =
    isOptionsObject(registry) && is.function(registry.get) && is.function(registry.health)
  expect(looksLikeRegistry, 'registry', 'a CircuitBreakerRegistry', registry)
  for (const key of ['cache', 'store', 'clock'] as const) {
    const rule = `left out when a registry is given (set it on the registry)`
    expect(given[key] === undefined, key, rule, given[key])
  }
  return registry as CircuitBreakerRegistry
}
