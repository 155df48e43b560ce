import {
  CircuitBreaker,
  type CircuitBreakerOptions,
  CircuitBreakerRegistry,
  type CircuitBreakerRegistryOptions,
  InvalidOptionsError,
  isInvalidOptionsError,
  MemoryStore,
  type ResolvedOptions,
  type Strategy,
  TripswitchError,
} from '@tripswitch/core'
import { MAX_WINDOW_SIZE, resolveOptions } from '@tripswitch/core/adapter'
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../src/testing/fake-clock.ts'

const MAX_TIMER_MS = 2 ** 31 - 1

/** Runs `build` and returns what it threw; fails the test when it throws nothing. */
function thrownBy(build: () => unknown): unknown {
  try {
    build()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw, but nothing was thrown')
}

/** Asserts that `build` throws an InvalidOptionsError for `option` carrying `value`. */
function expectInvalid(build: () => unknown, option: string, value: unknown): InvalidOptionsError {
  const error = thrownBy(build)
  expect(error).toBeInstanceOf(InvalidOptionsError)
  expect(error).toBeInstanceOf(TripswitchError)
  const e = error as InvalidOptionsError
  expect(e.code).toBe('ERR_CIRCUIT_OPTIONS')
  expect(e.name).toBe('InvalidOptionsError')
  expect(isInvalidOptionsError(e)).toBe(true)
  expect(e.option).toBe(option)
  expect(typeof e.rule).toBe('string')
  expect(e.rule.length).toBeGreaterThan(0)
  expect(Object.is(e.value, value)).toBe(true)
  expect(e.message).toContain(option)
  expect(e.message).toContain(e.rule)
  return e
}

const breaker = (options: CircuitBreakerOptions) => () => new CircuitBreaker(options)

// ---------------------------------------------------------------------------------------------
// Numeric options: the table is built from one spec per option and one rule per kind.
// ---------------------------------------------------------------------------------------------

type NumericKind = 'count' | 'windowSize' | 'duration' | 'ratio' | 'fraction' | 'factor'

/** The rule of each kind, written from the documented option rules (independently of the validator). */
const ACCEPTS: Record<NumericKind, (v: number) => boolean> = {
  // Counts beyond 2^53 are no longer exact integers.
  count: (v) => Number.isSafeInteger(v) && v >= 1,
  // A count window is allocated up front, so its length is bounded.
  windowSize: (v) => Number.isSafeInteger(v) && v >= 1 && v <= MAX_WINDOW_SIZE,
  duration: (v) => Number.isInteger(v) && v >= 1 && v <= MAX_TIMER_MS,
  ratio: (v) => Number.isFinite(v) && v > 0 && v <= 1,
  fraction: (v) => Number.isFinite(v) && v >= 0 && v <= 1,
  factor: (v) => Number.isFinite(v) && v >= 1,
}

interface NumericSpec {
  /** Dotted option path as the error names it. */
  readonly option: string
  readonly kind: NumericKind
  /** Options that make the option legal (its strategy, its companions). */
  readonly base: CircuitBreakerOptions
  /** Where the option's resolved value is read from. */
  readonly read: (s: ResolvedOptions) => unknown
}

const NUMERIC: readonly NumericSpec[] = [
  { option: 'errorThreshold', kind: 'count', base: {}, read: (s) => s.errorThreshold },
  { option: 'windowMs', kind: 'duration', base: { strategy: 'window' }, read: (s) => s.windowMs },
  {
    option: 'windowSize',
    kind: 'windowSize',
    base: { strategy: 'rate' },
    read: (s) => s.windowSize,
  },
  {
    option: 'failureRateThreshold',
    kind: 'ratio',
    base: { strategy: 'rate' },
    read: (s) => s.failureRateThreshold,
  },
  {
    option: 'minimumCalls',
    kind: 'count',
    base: { strategy: 'rate' },
    read: (s) => s.minimumCalls,
  },
  { option: 'slowCallMs', kind: 'duration', base: { strategy: 'rate' }, read: (s) => s.slowCallMs },
  {
    option: 'slowCallRateThreshold',
    kind: 'ratio',
    base: { strategy: 'rate', slowCallMs: 100 },
    read: (s) => s.slowCallRateThreshold,
  },
  { option: 'recoveryTimeout', kind: 'duration', base: {}, read: (s) => s.recoveryTimeout },
  {
    option: 'recoveryThreshold',
    kind: 'count',
    base: {},
    read: (s) => s.recoveryThreshold,
  },
  { option: 'halfOpenMaxCalls', kind: 'count', base: {}, read: (s) => s.halfOpenMaxCalls },
  { option: 'timeout', kind: 'duration', base: {}, read: (s) => s.timeout },
  {
    option: 'backoff.multiplier',
    kind: 'factor',
    base: {},
    read: (s) => s.backoff?.multiplier,
  },
  {
    option: 'backoff.maxRecoveryTimeout',
    kind: 'duration',
    // A cap below the recovery timeout is a contradiction; keep the recovery timeout minimal.
    base: { recoveryTimeout: 1 },
    read: (s) => s.backoff?.maxRecoveryTimeout,
  },
  { option: 'backoff.jitter', kind: 'fraction', base: {}, read: (s) => s.backoff?.jitter },
]

/** Numbers that probe every edge of every kind. */
const NUMBERS: readonly number[] = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -1,
  -0.5,
  0,
  0.5,
  1,
  1.5,
  2,
  10,
  MAX_WINDOW_SIZE,
  MAX_WINDOW_SIZE + 1,
  MAX_TIMER_MS,
  MAX_TIMER_MS + 1,
  Number.MAX_SAFE_INTEGER + 2,
]

/** Values of the wrong type: never accepted by a numeric option. */
const WRONG_TYPES: readonly unknown[] = ['10', '', {}, [], [10], true, false, null, () => 10, 10n]

function withOption(spec: NumericSpec, value: unknown): CircuitBreakerOptions {
  const [head, tail] = spec.option.split('.') as [string, string | undefined]
  const entry = tail === undefined ? { [head]: value } : { [head]: { [tail]: value } }
  return { ...spec.base, ...entry } as CircuitBreakerOptions
}

const numericCases = NUMERIC.flatMap((spec) =>
  NUMBERS.map((value) => ({ ...spec, value, valid: ACCEPTS[spec.kind](value) })),
)
const invalidNumbers = numericCases.filter((c) => !c.valid)
const validNumbers = numericCases.filter((c) => c.valid)
const wrongTypes = NUMERIC.flatMap((spec) => WRONG_TYPES.map((value) => ({ ...spec, value })))

describe('numeric options', () => {
  it.each(invalidNumbers)('$option rejects $value ($kind)', (c) => {
    expectInvalid(breaker(withOption(c, c.value)), c.option, c.value)
  })

  it.each(wrongTypes)('$option rejects the wrong type %#', (c) => {
    expectInvalid(breaker(withOption(c, c.value)), c.option, c.value)
  })

  it.each(validNumbers)('$option accepts $value ($kind)', (c) => {
    const settings = new CircuitBreaker(withOption(c, c.value)).settings
    expect(c.read(settings)).toBe(c.value)
  })

  it.each(invalidNumbers.filter((c) => !c.option.includes('.')))(
    'resolveOptions rejects $option = $value the same way',
    (c) => {
      expectInvalid(() => resolveOptions(withOption(c, c.value)), c.option, c.value)
    },
  )
})

// ---------------------------------------------------------------------------------------------
// Other options: strings, functions, arrays, objects.
// ---------------------------------------------------------------------------------------------

class Boom extends Error {}

const aStore = new MemoryStore()

const OTHER_INVALID: ReadonlyArray<{ option: string; values: readonly unknown[] }> = [
  { option: 'name', values: ['', 'x'.repeat(257), 10, {}, true, null, ['a']] },
  { option: 'strategy', values: ['sliding', 'Consecutive', '', 1, {}, true, null] },
  ...['detectError', 'isFailure', 'fallback', 'onOpen', 'onClose', 'onHalfOpen'].map((option) => ({
    option,
    values: ['fn', 1, {}, [], true, null],
  })),
  { option: 'ignoreErrors', values: [Boom, 'Error', {}, true, null, [1], ['Error'], [Boom, null]] },
  { option: 'recordErrors', values: [[], Boom, 'Error', {}, true, null, [1], [Boom, 'x']] },
  { option: 'clock', values: [{}, { now: 1 }, () => 0, 'clock', 1, true, null, []] },
  { option: 'store', values: [{}, { read() {} }, 'store', 1, true, null, []] },
  { option: 'backoff', values: ['2', 2, true, null, [], () => ({})] },
]

const otherCases = OTHER_INVALID.flatMap(({ option, values }) =>
  values.map((value) => ({ option, value })),
)

describe('non-numeric options', () => {
  it.each(otherCases)('$option rejects %#', ({ option, value }) => {
    expectInvalid(breaker({ [option]: value } as CircuitBreakerOptions), option, value)
  })

  it.each(['payments', 'x'.repeat(256)])('name accepts %s', (name) => {
    expect(new CircuitBreaker({ name }).name).toBe(name)
  })

  it.each([
    ['ignoreErrors', [], (s: ResolvedOptions) => s.ignoreErrors],
    ['ignoreErrors', [Boom, TypeError], (s: ResolvedOptions) => s.ignoreErrors],
    ['recordErrors', [Boom], (s: ResolvedOptions) => s.recordErrors],
    ['store', aStore, (s: ResolvedOptions) => s.store],
  ] as const)('%s accepts a valid value', (option, value, read) => {
    const settings = new CircuitBreaker({ [option]: value } as CircuitBreakerOptions).settings
    expect(read(settings)).toBe(value)
  })

  it.each(['detectError', 'isFailure', 'fallback', 'onOpen', 'onClose', 'onHalfOpen'] as const)(
    '%s accepts a function',
    (option) => {
      const fn = () => false
      const settings = new CircuitBreaker({ [option]: fn }).settings
      expect(settings[option]).toBe(fn)
    },
  )

  it('accepts a clock with only now()', () => {
    const clock = { now: () => 42 }
    expect(new CircuitBreaker({ clock }).settings.clock).toBe(clock)
  })

  it.each([null, 'options', 5, []])('rejects options that are not an object: %j', (value) => {
    expectInvalid(
      () => new CircuitBreaker(value as unknown as CircuitBreakerOptions),
      'options',
      value,
    )
  })
})

// ---------------------------------------------------------------------------------------------
// Unknown keys, other strategies, contradictions.
// ---------------------------------------------------------------------------------------------

describe('unknown keys', () => {
  it.each([
    ['threshold', 5],
    ['errorTreshold', 5],
    ['resetTimeout', 1000],
    ['constructor', 1],
  ])('rejects the top-level key %s', (key, value) => {
    expectInvalid(breaker({ [key]: value } as CircuitBreakerOptions), key, value)
  })

  it.each([
    ['factor', 2],
    ['max', 1000],
    ['maxDelay', 1000],
  ])('rejects backoff.%s', (key, value) => {
    const options = { backoff: { [key]: value } } as CircuitBreakerOptions
    expectInvalid(breaker(options), `backoff.${key}`, value)
  })

  it('ignores an unknown key whose value is undefined (undefined means absent)', () => {
    const options = { typo: undefined } as CircuitBreakerOptions
    expect(() => new CircuitBreaker(options)).not.toThrow()
  })
})

const STRATEGIES: readonly Strategy[] = ['consecutive', 'net', 'window', 'rate']

/** Each strategy-bound option, a valid value for it, and the strategies it belongs to. */
const STRATEGY_BOUND: ReadonlyArray<{ option: string; value: number; only: readonly Strategy[] }> =
  [
    { option: 'errorThreshold', value: 3, only: ['consecutive', 'net', 'window'] },
    { option: 'windowMs', value: 5_000, only: ['window', 'rate'] },
    { option: 'windowSize', value: 20, only: ['rate'] },
    { option: 'failureRateThreshold', value: 0.3, only: ['rate'] },
    { option: 'minimumCalls', value: 5, only: ['rate'] },
    { option: 'slowCallMs', value: 200, only: ['rate'] },
  ]

const foreignCases = STRATEGY_BOUND.flatMap((b) =>
  STRATEGIES.filter((s) => !b.only.includes(s)).map((strategy) => ({ ...b, strategy })),
)
const nativeCases = STRATEGY_BOUND.flatMap((b) => b.only.map((strategy) => ({ ...b, strategy })))

describe('options of another strategy', () => {
  it.each(foreignCases)(
    'rejects $option with strategy $strategy',
    ({ option, value, strategy }) => {
      const options = { strategy, [option]: value } as CircuitBreakerOptions
      const error = expectInvalid(breaker(options), option, value)
      expect(error.rule).toContain(strategy)
    },
  )

  it.each(nativeCases)('accepts $option with strategy $strategy', ({ option, value, strategy }) => {
    const settings = new CircuitBreaker({ strategy, [option]: value } as CircuitBreakerOptions)
      .settings as unknown as Record<string, unknown>
    expect(settings[option]).toBe(value)
    expect(settings.strategy).toBe(strategy)
  })

  it('rejects slowCallRateThreshold with the default strategy', () => {
    expectInvalid(breaker({ slowCallRateThreshold: 0.5 }), 'slowCallRateThreshold', 0.5)
  })

  it('rejects windowSize when the strategy defaults to consecutive', () => {
    expectInvalid(breaker({ windowSize: 10 }), 'windowSize', 10)
  })
})

describe('contradictions', () => {
  it.each([
    {
      title: 'windowSize with windowMs',
      options: { strategy: 'rate', windowSize: 10, windowMs: 1_000 },
      option: 'windowSize',
      value: 10,
    },
    {
      title: 'minimumCalls > windowSize',
      options: { strategy: 'rate', windowSize: 10, minimumCalls: 11 },
      option: 'minimumCalls',
      value: 11,
    },
    {
      title: 'slowCallRateThreshold without slowCallMs',
      options: { strategy: 'rate', slowCallRateThreshold: 0.5 },
      option: 'slowCallRateThreshold',
      value: 0.5,
    },
    {
      title: 'backoff.maxRecoveryTimeout < recoveryTimeout',
      options: { recoveryTimeout: 5_000, backoff: { maxRecoveryTimeout: 4_999 } },
      option: 'backoff.maxRecoveryTimeout',
      value: 4_999,
    },
    {
      title: 'backoff.maxRecoveryTimeout < the default recoveryTimeout',
      options: { backoff: { maxRecoveryTimeout: 1_000 } },
      option: 'backoff.maxRecoveryTimeout',
      value: 1_000,
    },
  ] as const)('rejects $title', ({ options, option, value }) => {
    expectInvalid(breaker(options as CircuitBreakerOptions), option, value)
  })

  it.each([
    { strategy: 'rate', windowSize: 10, minimumCalls: 10 },
    { strategy: 'rate', slowCallMs: 100, slowCallRateThreshold: 0.5 },
    { recoveryTimeout: 5_000, backoff: { maxRecoveryTimeout: 5_000 } },
  ] as const)('accepts the boundary %j', (options) => {
    expect(() => new CircuitBreaker(options as CircuitBreakerOptions)).not.toThrow()
  })
})

// ---------------------------------------------------------------------------------------------
// Defaults: `undefined` means the default.
// ---------------------------------------------------------------------------------------------

/** The documented defaults (the core README options table). */
const DOCUMENTED_DEFAULTS = {
  strategy: 'consecutive',
  errorThreshold: 5,
  windowMs: 10_000,
  windowSize: undefined,
  failureRateThreshold: 0.5,
  minimumCalls: 10,
  slowCallMs: undefined,
  slowCallRateThreshold: 1,
  recoveryTimeout: 30_000,
  backoff: undefined,
  recoveryThreshold: 1,
  halfOpenMaxCalls: 1,
  timeout: undefined,
  detectError: undefined,
  isFailure: undefined,
  ignoreErrors: [],
  recordErrors: undefined,
  fallback: undefined,
  onOpen: undefined,
  onClose: undefined,
  onHalfOpen: undefined,
  store: undefined,
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

describe('defaults', () => {
  it('applies the documented defaults', () => {
    const breaker = new CircuitBreaker()
    const settings = breaker.settings
    expect(settings).toMatchObject(DOCUMENTED_DEFAULTS)
    expect(breaker.name).toMatch(UUID)
    expect(typeof settings.clock.now()).toBe('number')
    expect(Object.isFrozen(settings)).toBe(true)
  })

  it('gives each unnamed breaker its own name', () => {
    expect(new CircuitBreaker().name).not.toBe(new CircuitBreaker().name)
  })

  it.each(Object.keys(DOCUMENTED_DEFAULTS))(
    'treats %s: undefined as the default, with every strategy',
    (key) => {
      for (const strategy of STRATEGIES) {
        const options = { strategy, [key]: undefined } as CircuitBreakerOptions
        const settings = new CircuitBreaker(options).settings as unknown as Record<string, unknown>
        const expected = new CircuitBreaker({ strategy }).settings as unknown as Record<
          string,
          unknown
        >
        expect(settings[key]).toEqual(key === 'strategy' ? 'consecutive' : expected[key])
      }
    },
  )

  it('treats name and clock undefined as the defaults', () => {
    const breaker = new CircuitBreaker({ name: undefined, clock: undefined })
    const settings = breaker.settings
    expect(breaker.name).toMatch(UUID)
    expect(typeof settings.clock.now()).toBe('number')
  })

  it.each(['multiplier', 'maxRecoveryTimeout', 'jitter'])(
    'treats backoff.%s: undefined as the default',
    (key) => {
      const settings = new CircuitBreaker({ backoff: { [key]: undefined } }).settings
      expect(settings.backoff).toEqual({ multiplier: 2, maxRecoveryTimeout: 300_000, jitter: 0.1 })
    },
  )

  it('keeps a zero jitter instead of replacing it with the default', () => {
    expect(new CircuitBreaker({ backoff: { jitter: 0 } }).settings.backoff?.jitter).toBe(0)
  })

  it('never lets the default backoff cap undercut a long recovery timeout', () => {
    const settings = new CircuitBreaker({ recoveryTimeout: 600_000, backoff: {} }).settings
    expect(settings.backoff?.maxRecoveryTimeout).toBe(600_000)
  })

  it.each([
    [4, 4],
    [10, 10],
    [50, 10],
  ])('defaults minimumCalls to at most windowSize (%i -> %i)', (windowSize, minimumCalls) => {
    const settings = new CircuitBreaker({ strategy: 'rate', windowSize }).settings
    expect(settings.minimumCalls).toBe(minimumCalls)
  })

  it('neither mutates nor keeps the caller’s options object', () => {
    const backoff = Object.freeze({ multiplier: 3 })
    const input = Object.freeze({ name: 'frozen', backoff, timeout: undefined })
    const settings = new CircuitBreaker(input).settings
    expect(input).toEqual({ name: 'frozen', backoff: { multiplier: 3 }, timeout: undefined })
    expect(settings.backoff).not.toBe(backoff)
    expect(settings.backoff?.multiplier).toBe(3)
  })

  it('accepts options read from the environment only once they are numbers', () => {
    const env = { ERROR_THRESHOLD: '7' }
    expectInvalid(breaker({ errorThreshold: env.ERROR_THRESHOLD as never }), 'errorThreshold', '7')
    expect(
      new CircuitBreaker({ errorThreshold: Number(env.ERROR_THRESHOLD) }).settings.errorThreshold,
    ).toBe(7)
  })
})

// ---------------------------------------------------------------------------------------------
// Registry options.
// ---------------------------------------------------------------------------------------------

const registry = (options: unknown) => () =>
  new CircuitBreakerRegistry(options as CircuitBreakerRegistryOptions)

describe('registry options', () => {
  const invalidMaxBreakers = NUMBERS.filter((v) => !ACCEPTS.count(v))

  it.each([...invalidMaxBreakers, ...WRONG_TYPES])('rejects maxBreakers = %s', (value) => {
    expectInvalid(registry({ maxBreakers: value }), 'maxBreakers', value)
  })

  it.each([1, 2, 10_000])('accepts maxBreakers = %i', (value) => {
    expect(new CircuitBreakerRegistry({ maxBreakers: value }).maxBreakers).toBe(value)
  })

  it('defaults maxBreakers to 1000 (also when undefined)', () => {
    expect(new CircuitBreakerRegistry().maxBreakers).toBe(1_000)
    expect(new CircuitBreakerRegistry({ maxBreakers: undefined }).maxBreakers).toBe(1_000)
  })

  it.each([
    ['maxBreaker', 10],
    ['default', {}],
    ['errorThreshold', 5],
  ])('rejects the unknown registry key %s', (key, value) => {
    expectInvalid(registry({ [key]: value }), key, value)
  })

  it.each([null, 'x', 5, []])('rejects registry options that are not an object: %j', (value) => {
    expectInvalid(registry(value), 'options', value)
  })

  it.each(['x', 5, true, null, []])('rejects defaults that are not an object: %j', (value) => {
    expectInvalid(registry({ defaults: value }), 'defaults', value)
  })

  it.each([
    [{ errorThreshold: 0 }, 'defaults.errorThreshold', 0],
    [{ errorThreshold: Number.NaN }, 'defaults.errorThreshold', Number.NaN],
    [{ recoveryTimeout: -1 }, 'defaults.recoveryTimeout', -1],
    [{ strategy: 'sliding' }, 'defaults.strategy', 'sliding'],
    [{ windowSize: 10 }, 'defaults.windowSize', 10],
    [{ treshold: 3 }, 'defaults.treshold', 3],
    [{ backoff: { jitter: 2 } }, 'defaults.backoff.jitter', 2],
    [{ strategy: 'rate', windowSize: 5, minimumCalls: 6 }, 'defaults.minimumCalls', 6],
  ])('names an invalid default %j as %s', (defaults, option, value) => {
    expectInvalid(registry({ defaults }), option, value)
  })

  it.each([
    ['store', {}],
    ['store', 'redis://'],
    ['clock', { now: 'soon' }],
    ['clock', 5],
  ])('names an invalid registry %s by its own name', (option, value) => {
    expectInvalid(registry({ [option]: value }), option, value)
  })

  it('validates per-breaker options given to get()', () => {
    const r = new CircuitBreakerRegistry()
    expectInvalid(() => r.get('db', { errorThreshold: 0 }), 'errorThreshold', 0)
    expectInvalid(() => r.get('db', { windowSize: 4 } as CircuitBreakerOptions), 'windowSize', 4)
    expect(r.has('db')).toBe(false)
  })

  it.each(['', 5, null])('rejects the breaker name %j in get()', (name) => {
    const r = new CircuitBreakerRegistry()
    expectInvalid(() => r.get(name as string), 'name', name)
  })

  it('applies valid defaults, the registry clock and the registry store', () => {
    const clock = new FakeClock()
    const store = new MemoryStore({ clock })
    const r = new CircuitBreakerRegistry({
      defaults: { errorThreshold: 2, timeout: 50 },
      clock,
      store,
    })
    const settings = r.get('db').settings
    expect(settings.errorThreshold).toBe(2)
    expect(settings.timeout).toBe(50)
    expect(settings.clock).toBe(clock)
    expect(settings.store).toBe(store)
  })
})
