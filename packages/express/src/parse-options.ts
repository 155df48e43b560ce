import {
  type BreakerDefaults,
  CircuitBreakerRegistry,
  type Clock,
  defaultRegistry,
  InvalidOptionsError,
  type StateStore,
} from '@tripswitch/core'
import { checks, type HttpDetectError, resolveOptions } from '@tripswitch/core/adapter'
import type { Request, Response } from 'express'
import type { CircuitBreakerMiddlewareOptions, CircuitOpenHandler } from './options.ts'
import { TransitionLog } from './transitions.ts'

/** The middleware's options, validated and split into adapter and core parts. */
export interface ParsedOptions {
  readonly registry: CircuitBreakerRegistry
  /** Fixed breaker name (`name` option), or undefined for per-request keys. */
  readonly name: string | undefined
  readonly key: ((req: Request) => string) | undefined
  readonly detectError: HttpDetectError<Request, Response> | undefined
  /** `onCircuitOpen` or `fallback` (they are alternatives), or undefined for the default 503. */
  readonly onRefused: CircuitOpenHandler | undefined
  /** Passed to `registry.get(key, breakerOptions)`; core validates and defaults them. */
  readonly breakerOptions: BreakerDefaults
  /** Logs state changes; undefined without a `logger` or with `logTransitions: false`. */
  readonly transitions: TransitionLog | undefined
}

const FUNCTION_OPTIONS = ['key', 'detectError', 'onCircuitOpen', 'fallback'] as const
const LOG_OPTIONS = ['logger', 'logTransitions']
const ADAPTER_OPTIONS = ['registry', 'name', 'store', 'clock', ...FUNCTION_OPTIONS, ...LOG_OPTIONS]

/**
 * Checks the adapter's own options and splits the rest off for core. Core options are never
 * checked here: without a registry, core's resolver validates them at once (a bad value fails
 * at startup, not on the first request); core applies their defaults when the registry creates
 * each breaker.
 */
export function parseOptions(input: CircuitBreakerMiddlewareOptions = {}): ParsedOptions {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidOptionsError('options', 'an options object', input)
  }
  // Own properties only: a value set on Object.prototype is never an option.
  const given = checks.ownOptions(input) as CircuitBreakerMiddlewareOptions
  const { registry, name, store, clock, key, detectError, onCircuitOpen, fallback } = given
  for (const option of FUNCTION_OPTIONS) {
    const value = given[option]
    if (value !== undefined && typeof value !== 'function') {
      throw new InvalidOptionsError(option, 'a function', value)
    }
  }
  if (onCircuitOpen !== undefined && fallback !== undefined) {
    throw new InvalidOptionsError(
      'fallback',
      'not given together with onCircuitOpen (pick one)',
      fallback,
    )
  }
  if (name !== undefined && key !== undefined) {
    throw new InvalidOptionsError('key', 'not given together with name (a fixed key)', key)
  }
  const breakerOptions: BreakerDefaults = checks.ownOptionsWithout(given, ADAPTER_OPTIONS)
  const target = registryFor(registry, { name, store, clock }, breakerOptions)
  const onRefused = onCircuitOpen ?? fallback
  const transitions = transitionLog(given)
  return { registry: target, name, key, detectError, onRefused, breakerOptions, transitions }
}

function transitionLog(given: CircuitBreakerMiddlewareOptions): TransitionLog | undefined {
  const { logger, logTransitions } = given
  if (logTransitions !== undefined && typeof logTransitions !== 'boolean') {
    throw new InvalidOptionsError('logTransitions', 'true or false', logTransitions)
  }
  if (logger === undefined) return undefined
  const methods = logger as unknown as Partial<Record<'warn' | 'info', unknown>> | null
  if (typeof methods?.warn !== 'function' || typeof methods.info !== 'function') {
    throw new InvalidOptionsError('logger', 'an object with warn and info methods', logger)
  }
  return logTransitions === false ? undefined : new TransitionLog(logger)
}

function registryFor(
  registry: unknown,
  own: { name: string | undefined; store: StateStore | undefined; clock: Clock | undefined },
  breakerOptions: BreakerDefaults,
): CircuitBreakerRegistry {
  if (registry === undefined) {
    // Core validates name, store, clock and every breaker option, and names the culprit.
    resolveOptions({ ...breakerOptions, ...own })
    const { store, clock } = own
    if (store === undefined && clock === undefined) return defaultRegistry()
    return new CircuitBreakerRegistry({ store, clock })
  }
  if (!isRegistry(registry)) {
    throw new InvalidOptionsError('registry', 'a CircuitBreakerRegistry', registry)
  }
  for (const option of ['name', 'store', 'clock'] as const) {
    const value = own[option]
    if (value !== undefined) {
      const rule = 'absent when a registry is given (configure the registry, or use key)'
      throw new InvalidOptionsError(option, rule, value)
    }
  }
  // The registry knows its defaults (a default strategy decides which options are allowed):
  // it validates the options over them now, so a bad value fails at startup.
  registry.validate(breakerOptions)
  return registry
}

/** Duck-typed so that a registry from another copy of core is accepted too. */
export function isRegistry(value: unknown): value is CircuitBreakerRegistry {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Partial<Record<'get' | 'health' | 'validate', unknown>>
  return ['get', 'health', 'validate'].every((m) => typeof candidate[m as 'get'] === 'function')
}
