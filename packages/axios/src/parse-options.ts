import {
  type CircuitBreakerRegistry,
  defaultRegistry,
  InvalidOptionsError,
  isInvalidOptionsError,
} from '@tripswitch/core'
import { checks } from '@tripswitch/core/adapter'
import { keyFunction } from './keys.ts'
import type {
  AttachOptions,
  AxiosBreakerOptions,
  AxiosOutcomeOptions,
  KeyFunction,
  RequestCircuitOptions,
} from './options.ts'

/** Attach options, validated and split into adapter and core parts. */
export interface ParsedOptions {
  readonly registry: CircuitBreakerRegistry
  readonly key: KeyFunction
  readonly outcome: AxiosOutcomeOptions
  /** Passed to `registry.get(key, breakerOptions)`; core validates and defaults them. */
  readonly breakerOptions: AxiosBreakerOptions
}

// Core options the adapter cannot honour (they act on execute() calls) or that belong to the
// registry; a silently ignored option would be a silently different breaker.
const REFUSED: Record<string, string> = {
  timeout: "absent (use axios's own timeout option)",
  fallback: 'absent (catch CircuitOpenError instead)',
  isFailure: 'absent (use detectError)',
  ignoreErrors: 'absent (use detectError)',
  recordErrors: 'absent (use detectError)',
  name: 'absent (use key)',
  store: 'absent (give the store to the registry)',
  clock: 'absent (give the clock to the registry)',
}

const OUTCOME_OPTIONS = ['acceptClientErrors', 'detectError', 'honorRetryAfter']

/** Checks the adapter's options and splits the rest off for core, which validates them now. */
export function parseOptions(input: AttachOptions = {}): ParsedOptions {
  checks.objectWith([], 'an options object')(input, 'options')
  // Own properties only: a value set on Object.prototype is never an option.
  const { registry = defaultRegistry(), key, ...rest } = checks.ownOptions(input) as AttachOptions
  if (!isRegistry(registry)) throw new InvalidOptionsError('registry', 'a registry', registry)
  if (key !== undefined && typeof key !== 'function') {
    checks.oneOf(['origin', 'host'])(key, 'key')
  }
  const { outcome, breakerOptions } = splitOutcome(rest, '')
  validateBreaker(registry, breakerOptions, '')
  return { registry, key: keyFunction(key), outcome, breakerOptions }
}

/** Checks a request's `circuitBreaker` object; core options are checked over the attach ones. */
export function parseRequestOptions(
  input: RequestCircuitOptions,
  parsed: ParsedOptions,
): { key: string | undefined; outcome: AxiosOutcomeOptions; breakerOptions: AxiosBreakerOptions } {
  checks.objectWith([], 'false or an options object')(input, 'circuitBreaker')
  const { key, ...rest } = checks.ownOptions(input, 'circuitBreaker.') as RequestCircuitOptions
  if (key !== undefined) checks.nonEmptyString(key, 'circuitBreaker.key')
  const own = splitOutcome(rest, 'circuitBreaker.')
  const breakerOptions = { ...parsed.breakerOptions, ...own.breakerOptions }
  if (Object.keys(own.breakerOptions).length > 0)
    validateBreaker(parsed.registry, breakerOptions, 'circuitBreaker.')
  return { key, outcome: { ...parsed.outcome, ...own.outcome }, breakerOptions }
}

function splitOutcome(
  input: AxiosOutcomeOptions & AxiosBreakerOptions,
  prefix: string,
): { outcome: AxiosOutcomeOptions; breakerOptions: AxiosBreakerOptions } {
  // Prototype-free copies: the named reads below see only what the caller gave.
  const breakerOptions = checks.ownOptions(input) as AxiosOutcomeOptions & AxiosBreakerOptions
  const { acceptClientErrors, detectError, honorRetryAfter } = breakerOptions
  for (const option of OUTCOME_OPTIONS) delete (breakerOptions as Record<string, unknown>)[option]
  if (acceptClientErrors !== undefined) boolean(acceptClientErrors, `${prefix}acceptClientErrors`)
  if (honorRetryAfter !== undefined) boolean(honorRetryAfter, `${prefix}honorRetryAfter`)
  if (detectError !== undefined) checks.func(detectError, `${prefix}detectError`)
  const outcome = checks.withoutUndefined({ acceptClientErrors, detectError, honorRetryAfter })
  return { outcome, breakerOptions: checks.withoutUndefined(breakerOptions) }
}

function validateBreaker(
  registry: CircuitBreakerRegistry,
  options: AxiosBreakerOptions,
  prefix: string,
): void {
  for (const [option, value] of Object.entries(options)) {
    const rule = REFUSED[option]
    if (rule !== undefined && value !== undefined)
      throw new InvalidOptionsError(`${prefix}${option}`, rule, value)
  }
  try {
    // Over the registry's defaults: a default strategy decides which options are allowed.
    registry.validate(options)
  } catch (error) {
    if (prefix === '' || !isInvalidOptionsError(error)) throw error
    throw new InvalidOptionsError(`${prefix}${error.option}`, error.rule, error.value)
  }
}

function boolean(value: unknown, path: string): void {
  if (typeof value !== 'boolean') throw new InvalidOptionsError(path, 'a boolean', value)
}

/** Duck-typed so that a registry from another copy of core is accepted too. */
function isRegistry(value: unknown): value is CircuitBreakerRegistry {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Record<string, unknown>
  return ['get', 'health', 'validate'].every((m) => typeof candidate[m] === 'function')
}
