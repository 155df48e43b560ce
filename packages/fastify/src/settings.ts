import { type BreakerDefaults, resolveOptions } from '@tripswitch/core'
import { asWritten, expect, is, isOptionsObject, optional } from './check.ts'
import {
  type CircuitAnswerHook,
  type CircuitBreakerRouteOptions,
  COMPAT_DEFAULTS,
} from './options.ts'

/** One layer of circuit options (the plugin's or a route's), in core names. */
export interface Layer {
  /** Core breaker options given in this layer, without `undefined` members. */
  readonly core: Readonly<Record<string, unknown>>
  /** Core option name -> the name the user wrote (`errorThreshold` -> `threshold`). */
  readonly written: Readonly<Record<string, string>>
  readonly name: string | undefined
  readonly onCircuitOpen: CircuitAnswerHook | undefined
  readonly onTimeout: CircuitAnswerHook | undefined
}

/** What one circuit needs, validated. */
export interface CircuitSettings {
  /** Name given by the user; otherwise the circuit is named after its route. */
  readonly name: string | undefined
  /** Options of the circuit's breaker, for `registry.get(name, breaker)`. */
  readonly breaker: BreakerDefaults
  /** Milliseconds a request may take. */
  readonly timeout: number
  readonly onCircuitOpen: CircuitAnswerHook | undefined
  readonly onTimeout: CircuitAnswerHook | undefined
}

/** A layer that sets nothing. */
export const EMPTY_LAYER: Layer = {
  core: {},
  written: {},
  name: undefined,
  onCircuitOpen: undefined,
  onTimeout: undefined,
}

// Core options that act on results or thrown errors. An HTTP circuit settles permits from the
// reply status and never sees either, so accepting them would silently do nothing.
const UNSUPPORTED = ['detectError', 'isFailure', 'ignoreErrors', 'recordErrors', 'fallback']

/** Splits circuit options into core options and this plugin's own; checks only the latter. */
export function layerOf(input: unknown, prefix: string): Layer {
  expect(
    isOptionsObject(input),
    prefix === '' ? 'options' : prefix.slice(0, -1),
    'an options object',
    input,
  )
  const { threshold, resetTimeout, onCircuitOpen, onTimeout, name, ...rest } =
    input as CircuitBreakerRouteOptions
  for (const key of UNSUPPORTED) {
    const value = (rest as Record<string, unknown>)[key]
    const rule = 'left out: @tripswitch/fastify classifies replies by status (>= 500 fails)'
    expect(value === undefined, `${prefix}${key}`, rule, value)
  }
  optional(onCircuitOpen, is.function, `${prefix}onCircuitOpen`, 'a function')
  optional(onTimeout, is.function, `${prefix}onTimeout`, 'a function')
  const core: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) core[key] = value
  const written: Record<string, string> = {}
  alias(core, written, prefix, 'threshold', threshold, 'errorThreshold')
  alias(core, written, prefix, 'resetTimeout', resetTimeout, 'recoveryTimeout')
  if (name !== undefined) asWritten(() => resolveOptions({ name }), {}, prefix)
  return { core, written, name, onCircuitOpen, onTimeout }
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
  expect(
    core[coreName] === undefined,
    `${prefix}${compatName}`,
    `not combined with ${coreName} (its alias)`,
    value,
  )
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
  const core: Record<string, unknown> = { ...plugin.core, ...route.core }
  core.timeout ??= COMPAT_DEFAULTS.timeout
  core.recoveryTimeout ??= COMPAT_DEFAULTS.resetTimeout
  const written: Record<string, string> = {}
  for (const key of Object.keys(core)) {
    const name = key in route.core ? route.written[key] : plugin.written[key]
    if (name !== undefined) written[key] = name
  }
  const breaker = core as BreakerDefaults
  asWritten(() => resolveOptions(breaker), written, prefix)
  return {
    name: route.name,
    breaker,
    timeout: core.timeout as number,
    onCircuitOpen: route.onCircuitOpen ?? plugin.onCircuitOpen,
    onTimeout: route.onTimeout ?? plugin.onTimeout,
  }
}
