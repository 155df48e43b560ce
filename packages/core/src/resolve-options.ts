import { type Clock, systemClock } from './clock.ts'
import { DEFAULTS, MAX_DURATION_MS } from './defaults.ts'
import { InvalidOptionsError } from './errors.ts'
import type {
  BackoffOptions,
  CircuitBreakerOptions,
  ResolvedBackoff,
  ResolvedOptions,
  Strategy,
} from './options.ts'
import { STORE_METHODS } from './store.ts'
import {
  boolean,
  type Check,
  clockObject,
  duration,
  errorClasses,
  factor,
  fraction,
  func,
  nonEmptyString,
  objectWith,
  oneOf,
  positiveInteger,
  ratio,
  rejectUnknownKeys,
  windowLength,
  withoutUndefined,
} from './validate.ts'

type Key = keyof CircuitBreakerOptions

const STRATEGIES: readonly Strategy[] = ['consecutive', 'net', 'window', 'rate']

const backoffCheck: Check = (value, path) => {
  objectWith([], 'an object { multiplier?, maxRecoveryTimeout?, jitter? }')(value, path)
  const backoff = withoutUndefined(value as BackoffOptions)
  rejectUnknownKeys(backoff, new Set(['multiplier', 'maxRecoveryTimeout', 'jitter']), `${path}.`)
  if (backoff.multiplier !== undefined) factor(backoff.multiplier, `${path}.multiplier`)
  if (backoff.maxRecoveryTimeout !== undefined)
    duration(backoff.maxRecoveryTimeout, `${path}.maxRecoveryTimeout`)
  if (backoff.jitter !== undefined) fraction(backoff.jitter, `${path}.jitter`)
}

/** The check of every option, and the strategies it belongs to (undefined = all). */
const SCHEMA: { readonly [K in Key]-?: { check: Check; only?: readonly Strategy[] } } = {
  name: { check: nonEmptyString },
  strategy: { check: oneOf(STRATEGIES) },
  errorThreshold: { check: positiveInteger, only: ['consecutive', 'net', 'window'] },
  windowMs: { check: duration, only: ['window', 'rate'] },
  windowSize: { check: windowLength, only: ['rate'] },
  failureRateThreshold: { check: ratio, only: ['rate'] },
  minimumCalls: { check: positiveInteger, only: ['rate'] },
  slowCallMs: { check: duration, only: ['rate'] },
  slowCallRateThreshold: { check: ratio, only: ['rate'] },
  recoveryTimeout: { check: duration },
  backoff: { check: backoffCheck },
  recoveryThreshold: { check: positiveInteger },
  halfOpenMaxCalls: { check: positiveInteger },
  halfOpenMaxWait: { check: duration },
  afterHalfOpenWait: { check: oneOf(['open', 'closed']) },
  halfOpenSampling: { check: boolean },
  maxConcurrent: { check: positiveInteger },
  mode: { check: oneOf(['enforce', 'shadow']) },
  maxRetryAfter: { check: duration },
  timeout: { check: duration },
  detectError: { check: func },
  isFailure: { check: func },
  ignoreErrors: { check: errorClasses(false) },
  recordErrors: { check: errorClasses(true) },
  fallback: { check: func },
  onOpen: { check: func },
  onClose: { check: func },
  onHalfOpen: { check: func },
  clock: { check: clockObject },
  store: { check: objectWith(STORE_METHODS, `a StateStore (with ${STORE_METHODS.join(', ')})`) },
}

/** Rate options that half-open sampling reads whatever the strategy. */
const SAMPLING_OPTIONS: ReadonlySet<string> = new Set([
  'failureRateThreshold',
  'slowCallMs',
  'slowCallRateThreshold',
])

/** Names of every option a {@link CircuitBreaker} accepts. */
export const OPTION_NAMES: ReadonlySet<string> = new Set(Object.keys(SCHEMA))

/**
 * Validates `input` and applies defaults: the only place that knows them. Throws
 * {@link InvalidOptionsError} for a wrong type, NaN, Infinity, a negative or non-integer count,
 * a zero where zero means nothing, an unknown key, an option of another strategy, or a
 * contradiction between options.
 */
export function resolveOptions(input: CircuitBreakerOptions = {}): ResolvedOptions {
  objectWith([], 'an options object')(input, 'options')
  const given = withoutUndefined(input)
  rejectUnknownKeys(given, OPTION_NAMES)
  if (given.strategy !== undefined) SCHEMA.strategy.check(given.strategy, 'strategy')
  const strategy = given.strategy ?? DEFAULTS.strategy
  const sampling = given.halfOpenSampling === true
  for (const key of Object.keys(given) as Key[]) {
    const entry = SCHEMA[key]
    entry.check(given[key], key)
    if (entry.only && !entry.only.includes(strategy) && !(sampling && SAMPLING_OPTIONS.has(key))) {
      const rule = `used only with strategy ${entry.only.map((s) => `'${s}'`).join(' or ')}, not '${strategy}'`
      throw new InvalidOptionsError(key, rule, given[key])
    }
  }
  // Later reads see only the backoff's own members, like every other option.
  if (given.backoff !== undefined) given.backoff = withoutUndefined(given.backoff)
  checkContradictions(given)
  if (last !== null && sameOptions(last.given, given)) return last.resolved
  const resolved = build(given, strategy)
  last = { given, resolved }
  return resolved
}

/**
 * Whether `option` takes part in a breaker of `strategy` (`errorThreshold` does not in a `'rate'`
 * breaker). Lets a layer of defaults drop what does not apply once a breaker picks another
 * strategy. Unknown options answer `false`.
 */
export function usedByStrategy(option: string, strategy: Strategy): boolean {
  const entry = (SCHEMA as Readonly<Record<string, { only?: readonly Strategy[] }>>)[option]
  return entry !== undefined && (entry.only === undefined || entry.only.includes(strategy))
}

/** The name of a breaker made from `input`: its `name`, or a random UUID. */
export function breakerName(input: CircuitBreakerOptions): string {
  const name = Object.hasOwn(input, 'name') ? input.name : undefined
  return name ?? globalThis.crypto.randomUUID()
}

// Breakers are usually made in bulk from one set of options (a registry's defaults, a loop over
// names). Remembering the last resolution lets them share one frozen object instead of holding
// a copy each (about 250 bytes per breaker); the name is kept on the breaker, not in it.
let last: { given: Partial<CircuitBreakerOptions>; resolved: ResolvedOptions } | null = null

function sameOptions(
  a: Partial<CircuitBreakerOptions>,
  b: Partial<CircuitBreakerOptions>,
): boolean {
  const keys = Object.keys(b).filter((key) => key !== 'name') as Key[]
  if (keys.length !== Object.keys(a).filter((key) => key !== 'name').length) return false
  return keys.every((key) => key !== 'backoff' && Object.hasOwn(a, key) && a[key] === b[key])
}

function checkContradictions(given: CircuitBreakerOptions): void {
  const { windowSize, windowMs, minimumCalls, slowCallMs, slowCallRateThreshold } = given
  if (windowSize !== undefined && windowMs !== undefined)
    throw new InvalidOptionsError(
      'windowSize',
      'not combined with windowMs (pick a count or a time window)',
      windowSize,
    )
  if (windowSize !== undefined && minimumCalls !== undefined && minimumCalls > windowSize)
    throw new InvalidOptionsError('minimumCalls', `<= windowSize (${windowSize})`, minimumCalls)
  if (slowCallRateThreshold !== undefined && slowCallMs === undefined)
    throw new InvalidOptionsError(
      'slowCallRateThreshold',
      'set together with slowCallMs',
      slowCallRateThreshold,
    )
  if (given.halfOpenSampling === true && given.recoveryThreshold !== undefined)
    throw new InvalidOptionsError(
      'recoveryThreshold',
      'absent with halfOpenSampling (the sample of halfOpenMaxCalls probes decides)',
      given.recoveryThreshold,
    )
  const recovery = given.recoveryTimeout ?? DEFAULTS.recoveryTimeout
  const max = given.backoff?.maxRecoveryTimeout
  if (max !== undefined && max < recovery)
    throw new InvalidOptionsError(
      'backoff.maxRecoveryTimeout',
      `>= recoveryTimeout (${recovery})`,
      max,
    )
}

function build(given: CircuitBreakerOptions, strategy: Strategy): ResolvedOptions {
  const windowSize = given.windowSize
  const defaultMinimum = Math.min(DEFAULTS.minimumCalls, windowSize ?? Number.POSITIVE_INFINITY)
  const recoveryTimeout = given.recoveryTimeout ?? DEFAULTS.recoveryTimeout
  const backoff =
    given.backoff === undefined ? undefined : resolveBackoff(given.backoff, given.recoveryTimeout)
  return Object.freeze({
    strategy,
    errorThreshold: given.errorThreshold ?? DEFAULTS.errorThreshold,
    windowMs: given.windowMs ?? DEFAULTS.windowMs,
    windowSize,
    failureRateThreshold: given.failureRateThreshold ?? DEFAULTS.failureRateThreshold,
    minimumCalls: given.minimumCalls ?? defaultMinimum,
    slowCallMs: given.slowCallMs,
    slowCallRateThreshold: given.slowCallRateThreshold ?? DEFAULTS.slowCallRateThreshold,
    recoveryTimeout,
    backoff,
    maxRetryAfter:
      given.maxRetryAfter ??
      backoff?.maxRecoveryTimeout ??
      Math.max(recoveryTimeout, DEFAULTS.maxRetryAfter),
    recoveryThreshold: given.recoveryThreshold ?? DEFAULTS.recoveryThreshold,
    halfOpenMaxCalls: given.halfOpenMaxCalls ?? DEFAULTS.halfOpenMaxCalls,
    halfOpenMaxWait:
      given.halfOpenMaxWait ??
      Math.min(MAX_DURATION_MS, 2 * Math.max(given.timeout ?? 0, recoveryTimeout)),
    afterHalfOpenWait: given.afterHalfOpenWait ?? 'open',
    halfOpenSampling: given.halfOpenSampling ?? false,
    maxConcurrent: given.maxConcurrent,
    mode: given.mode ?? 'enforce',
    timeout: given.timeout,
    detectError: given.detectError,
    isFailure: given.isFailure,
    ignoreErrors: given.ignoreErrors ?? [],
    recordErrors: given.recordErrors,
    fallback: given.fallback,
    onOpen: given.onOpen,
    onClose: given.onClose,
    onHalfOpen: given.onHalfOpen,
    clock: given.clock ?? (systemClock as Clock),
    store: given.store,
  })
}

function resolveBackoff(
  backoff: BackoffOptions,
  recoveryTimeout: number | undefined,
): ResolvedBackoff {
  const recovery = recoveryTimeout ?? DEFAULTS.recoveryTimeout
  return Object.freeze({
    multiplier: backoff.multiplier ?? DEFAULTS.backoffMultiplier,
    // The default cap never undercuts a long recovery timeout the user chose.
    maxRecoveryTimeout:
      backoff.maxRecoveryTimeout ?? Math.max(DEFAULTS.backoffMaxRecoveryTimeout, recovery),
    jitter: backoff.jitter ?? DEFAULTS.backoffJitter,
  })
}
