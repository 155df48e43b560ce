import {
  type CircuitBreakerRegistry,
  defaultRegistry,
  InvalidOptionsError,
  isInvalidOptionsError,
} from '@tripswitch/core'
import { type Check, checks } from '@tripswitch/core/adapter'
import { keyFunction } from './keys.ts'
import type { FetchBreakerOptions, KeyFunction, KeyOption } from './options.ts'

/** Options, validated and split into the adapter's own and core's. */
export interface ParsedOptions<O> {
  readonly registry: CircuitBreakerRegistry
  readonly key: KeyFunction
  /** The adapter's own options (classification, timeout, hooks), undefined ones left out. */
  readonly outcome: O
  /** Passed to `registry.get(key, breakerOptions)`; core validated and defaults them. */
  readonly breakerOptions: FetchBreakerOptions
}

/** Which options an adapter reads itself (with their checks), and which core ones it refuses. */
export interface OptionSpec {
  readonly own: Readonly<Record<string, Check>>
  readonly refused: Readonly<Record<string, string>>
}

const boolean: Check = (value, path) => {
  if (typeof value !== 'boolean') throw new InvalidOptionsError(path, 'a boolean', value)
}

/** Checks of the options both adapters read themselves. */
export const SHARED_CHECKS: Readonly<Record<string, Check>> = {
  acceptClientErrors: boolean,
  honorRetryAfter: boolean,
  detectError: checks.func,
}

// Core options that act on execute() calls or belong to the registry: a silently ignored
// option would be a silently different breaker.
export const REFUSED: Readonly<Record<string, string>> = {
  fallback: 'absent (catch CircuitOpenError, or use onCircuitOpen with fetch)',
  isFailure: 'absent (use detectError)',
  ignoreErrors: 'absent (use detectError)',
  recordErrors: 'absent (use detectError)',
  name: 'absent (use key)',
  store: 'absent (give the store to the registry)',
  clock: 'absent (give the clock to the registry)',
}

/** Checks the options and splits core's off; core validates those now, over the registry. */
export function parseOptions<O>(input: object | undefined, spec: OptionSpec): ParsedOptions<O> {
  checks.objectWith([], 'an options object')(input ?? {}, 'options')
  // Own properties only: a value set on Object.prototype is never an option.
  const {
    registry = defaultRegistry(),
    key,
    ...rest
  } = checks.ownOptions(input ?? {}) as {
    registry?: unknown
    key?: unknown
  }
  if (!isRegistry(registry)) throw new InvalidOptionsError('registry', 'a registry', registry)
  if (typeof key !== 'function' && key !== undefined) checks.nonEmptyString(key, 'key')
  const { outcome, breakerOptions } = split<O>(rest, spec, '')
  validateBreaker(registry, breakerOptions, spec, '')
  return { registry, key: keyFunction(key as KeyOption | undefined), outcome, breakerOptions }
}

/** Checks a request's `circuitBreaker` object; its core options are checked over the wrapper's. */
export function parseRequestOptions<O>(
  input: unknown,
  parsed: ParsedOptions<O>,
  spec: OptionSpec,
): { key: string | undefined; outcome: O; breakerOptions: FetchBreakerOptions } {
  checks.objectWith([], 'false or an options object')(input, 'circuitBreaker')
  const { key, ...rest } = checks.ownOptions(input as object, 'circuitBreaker.') as {
    key?: unknown
  }
  if (key !== undefined) checks.nonEmptyString(key, 'circuitBreaker.key')
  const own = split<O>(rest, spec, 'circuitBreaker.')
  const breakerOptions = { ...parsed.breakerOptions, ...own.breakerOptions }
  if (Object.keys(own.breakerOptions).length > 0)
    validateBreaker(parsed.registry, breakerOptions, spec, 'circuitBreaker.')
  return {
    key: key as string | undefined,
    outcome: { ...parsed.outcome, ...own.outcome },
    breakerOptions,
  }
}

function split<O>(
  input: Record<string, unknown>,
  spec: OptionSpec,
  prefix: string,
): { outcome: O; breakerOptions: FetchBreakerOptions } {
  const outcome: Record<string, unknown> = {}
  const breakerOptions: Record<string, unknown> = {}
  for (const [option, value] of Object.entries(input)) {
    if (value === undefined) continue
    const check = Object.hasOwn(spec.own, option) ? spec.own[option] : undefined
    if (check === undefined) {
      breakerOptions[option] = value
      continue
    }
    check(value, `${prefix}${option}`)
    outcome[option] = value
  }
  return { outcome: outcome as O, breakerOptions: breakerOptions as FetchBreakerOptions }
}

function validateBreaker(
  registry: CircuitBreakerRegistry,
  options: FetchBreakerOptions,
  spec: OptionSpec,
  prefix: string,
): void {
  for (const [option, value] of Object.entries(options)) {
    const rule = Object.hasOwn(spec.refused, option) ? spec.refused[option] : undefined
    if (rule !== undefined) throw new InvalidOptionsError(`${prefix}${option}`, rule, value)
  }
  try {
    // Over the registry's defaults: a default strategy decides which options are allowed.
    registry.validate(options)
  } catch (error) {
    if (prefix === '' || !isInvalidOptionsError(error)) throw error
    throw new InvalidOptionsError(`${prefix}${error.option}`, error.rule, error.value)
  }
}

/** Duck-typed so that a registry from another copy of core is accepted too. */
function isRegistry(value: unknown): value is CircuitBreakerRegistry {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Record<string, unknown>
  return ['get', 'health', 'validate'].every((m) => typeof candidate[m] === 'function')
}
