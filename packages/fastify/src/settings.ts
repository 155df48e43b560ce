import type { BreakerDefaults, Strategy } from '@tripswitch/core'
import { checks, resolveOptions, usedByStrategy } from '@tripswitch/core/adapter'
import { asWritten, expect, is, isOptionsObject, optional } from './check.ts'
import { type CircuitBreakerRouteOptions, COMPAT_DEFAULTS } from './options.ts'

/** The options of a circuit that are functions of this plugin, not of the core. */
export type CircuitHooks = Pick<
  CircuitBreakerRouteOptions,
  'onCircuitOpen' | 'onTimeout' | 'detectError' | 'key'
>

const HOOK_NAMES = ['onCircuitOpen', 'onTimeout', 'detectError', 'key'] as const
// The options of a layer that are this plugin's (the rest go to core).
const OWN_NAMES = ['threshold', 'resetTimeout', 'name', ...HOOK_NAMES]

/** One layer of circuit options (the plugin's or a route's), in core names. */
export interface Layer {
  /** Core breaker options given in this layer, without `undefined` members. */
  readonly core: Readonly<Record<string, unknown>>
  /** Core option name -> the name the user wrote (`errorThreshold` -> `threshold`). */
  readonly written: Readonly<Record<string, string>>
  readonly name: string | undefined
  readonly hooks: Readonly<CircuitHooks>
}

/** What one circuit needs, validated. */
export interface CircuitSettings {
  /** Name given by the user; otherwise the circuit is named after its route. */
  readonly name: string | undefined
  /** Options of the circuit's breaker, for `registry.get(name, breaker)`. */
  readonly breaker: BreakerDefaults
  /** Milliseconds a request may take. */
  readonly timeout: number
  readonly hooks: Readonly<CircuitHooks>
}

/** A layer that sets nothing. */
export const EMPTY_LAYER: Layer = {
  core: record(),
  written: record(),
  name: undefined,
  hooks: record(),
}

// Core options that act on a call's result or thrown error. An HTTP circuit classifies its
// permits from the reply (the route's error reaches the breaker only for its `failure` event),
// so they would silently do nothing (core's result-based `detectError` is replaced here by the
// HTTP one).
const UNSUPPORTED = ['isFailure', 'ignoreErrors', 'recordErrors', 'fallback']

/** Splits circuit options into core options and this plugin's own; checks only the latter. */
export function layerOf(input: unknown, prefix: string): Layer {
  const path = prefix === '' ? 'options' : prefix.slice(0, -1)
  expect(isOptionsObject(input), path, 'an options object', input)
  // Own properties only: a value set on Object.prototype is never an option.
  const given = asWritten(() => checks.ownOptions(input as object), {}, prefix)
  const { threshold, resetTimeout, name, onCircuitOpen, onTimeout, detectError, key } =
    given as CircuitBreakerRouteOptions
  const hooks: CircuitHooks = { onCircuitOpen, onTimeout, detectError, key }
  for (const hook of HOOK_NAMES)
    optional(hooks[hook], is.function, `${prefix}${hook}`, 'a function')
  const core: Record<string, unknown> = record()
  for (const [option, value] of Object.entries(checks.ownOptionsWithout(given, OWN_NAMES))) {
    const rule = 'left out: @tripswitch/fastify classifies replies (see detectError)'
    expect(value === undefined || !UNSUPPORTED.includes(option), `${prefix}${option}`, rule, value)
    if (value !== undefined) core[option] = value
  }
  const written: Record<string, string> = record()
  alias(core, written, prefix, 'threshold', threshold, 'errorThreshold')
  alias(core, written, prefix, 'resetTimeout', resetTimeout, 'recoveryTimeout')
  if (name !== undefined) asWritten(() => resolveOptions({ name }), {}, prefix)
  return { core, written, name, hooks }
}

// A route that picks its own strategy keeps only the plugin options that strategy uses: a
// plugin-wide `threshold` (the usual @fastify/circuit-breaker set-up) means nothing to a 'rate'
// route and must not make it invalid. Without a route strategy, every plugin option stays and a
// misfit is still an error.
function inherited(plugin: Layer, route: Layer): Record<string, unknown> {
  const strategy = route.core.strategy as Strategy | undefined
  const kept: Record<string, unknown> = record()
  if (strategy === undefined) return Object.assign(kept, plugin.core)
  for (const [option, value] of Object.entries(plugin.core))
    if (usedByStrategy(option, strategy)) kept[option] = value
  return kept
}

function alias(
  core: Record<string, unknown>,
  written: Record<string, string>,
  prefix: string,
  compatName: string,
  value: unknown,
  coreName: string,
): void {
  if (value === undefined) return
  const rule = `not combined with ${coreName} (its alias)`
  expect(core[coreName] === undefined, `${prefix}${compatName}`, rule, value)
  core[coreName] = value
  written[coreName] = compatName
}

/**
 * The settings of a circuit: the route's options over the plugin's over the compat defaults
 * (`timeout` and `resetTimeout` 10 s). Core validates the result; its error names the option as
 * the user wrote it.
 * @throws {InvalidOptionsError}
 */
export function settingsOf(plugin: Layer, route: Layer, prefix: string): CircuitSettings {
  // Prototype-free: `core.timeout` must never read a value set on Object.prototype.
  const core = Object.assign(inherited(plugin, route), route.core)
  core.timeout ??= COMPAT_DEFAULTS.timeout
  core.recoveryTimeout ??= COMPAT_DEFAULTS.resetTimeout
  const written: Record<string, string> = record()
  for (const option of Object.keys(core)) {
    const name = Object.hasOwn(route.core, option) ? route.written[option] : plugin.written[option]
    if (name !== undefined) written[option] = name
  }
  const breaker = core as BreakerDefaults
  asWritten(() => resolveOptions(breaker), written, prefix)
  const hooks: CircuitHooks = record()
  for (const hook of HOOK_NAMES) {
    const chosen = route.hooks[hook] ?? plugin.hooks[hook]
    if (chosen !== undefined) Object.assign(hooks, { [hook]: chosen })
  }
  return { name: route.name, breaker, timeout: core.timeout as number, hooks }
}

/**
 * A record without a prototype: every lookup in the records of a layer or circuit (`in`, `??`,
 * indexing) sees only what was put there, never a value set on Object.prototype.
 */
function record<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>
}
