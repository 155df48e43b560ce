import { MAX_DURATION_MS, MAX_WINDOW_SIZE } from './defaults.ts'
import { InvalidOptionsError } from './errors.ts'

/** A check of one option value; throws {@link InvalidOptionsError} naming `path`. */
export type Check = (value: unknown, path: string) => void

function rule(test: (value: unknown) => boolean, description: string): Check {
  return (value, path) => {
    if (!test(value)) throw new InvalidOptionsError(path, description, value)
  }
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

/** An integer count >= 1. */
export const positiveInteger: Check = rule(
  (v) => Number.isSafeInteger(v) && (v as number) >= 1,
  'an integer >= 1',
)

/** A whole number of milliseconds a timer can honour. */
export const duration: Check = rule(
  (v) => Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= MAX_DURATION_MS,
  `an integer number of milliseconds from 1 to ${MAX_DURATION_MS}`,
)

/** A count-based window length: its ring is allocated up front, so it is bounded. */
export const windowLength: Check = rule(
  (v) => Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= MAX_WINDOW_SIZE,
  `an integer from 1 to ${MAX_WINDOW_SIZE}`,
)

/** A ratio in (0, 1]. */
export const ratio: Check = rule((v) => isNumber(v) && v > 0 && v <= 1, 'a number > 0 and <= 1')

/** A fraction in [0, 1]. */
export const fraction: Check = rule((v) => isNumber(v) && v >= 0 && v <= 1, 'a number from 0 to 1')

/** A finite number >= 1. */
export const factor: Check = rule((v) => isNumber(v) && v >= 1, 'a finite number >= 1')

/** A boolean. */
export const boolean: Check = rule((v) => typeof v === 'boolean', 'true or false')

/** A function. */
export const func: Check = rule((v) => typeof v === 'function', 'a function')

/** A non-empty string of at most 256 characters. */
export const nonEmptyString: Check = rule(
  (v) => typeof v === 'string' && v.length > 0 && v.length <= 256,
  'a non-empty string of at most 256 characters',
)

/** One of `values`. */
export function oneOf(values: readonly string[]): Check {
  return rule(
    (v) => typeof v === 'string' && values.includes(v),
    `one of ${values.map((v) => `'${v}'`).join(', ')}`,
  )
}

/**
 * True when `value` can stand right of `instanceof` without throwing: a class or function
 * with a prototype object, a bound class, or an object with `Symbol.hasInstance`. An arrow
 * function is a function but throws there, at the first failure it is asked about.
 */
function isInstanceofTarget(value: unknown): boolean {
  if (typeof value !== 'function' && (typeof value !== 'object' || value === null)) return false
  try {
    void ({} instanceof (value as new () => unknown))
    return true
  } catch {
    return false
  }
}

/** An array of classes (constructor functions); `nonEmpty` rejects `[]`. */
export function errorClasses(nonEmpty: boolean): Check {
  const description = nonEmpty ? 'a non-empty array of error classes' : 'an array of error classes'
  return (value, path) => {
    if (!Array.isArray(value) || (nonEmpty && value.length === 0))
      throw new InvalidOptionsError(path, description, value)
    value.forEach((entry: unknown, i) => {
      if (!isInstanceofTarget(entry))
        throw new InvalidOptionsError(
          path,
          `${description}: entry ${i} is not usable with instanceof (an arrow function?)`,
          value,
        )
    })
  }
}

/**
 * Member `key` of `value`, own or from its class, but never from `Object.prototype`: a value
 * planted there (prototype pollution) must not become a method or a setting.
 */
export function memberOf(value: object, key: string): unknown {
  for (
    let o: object | null = value;
    o !== null && o !== Object.prototype;
    o = Object.getPrototypeOf(o)
  )
    if (Object.hasOwn(o, key)) return (o as Record<string, unknown>)[key]
  return undefined
}

/** An object (not null, not an array) whose listed members are functions. */
export function objectWith(methods: readonly string[], description: string): Check {
  return rule((v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
    return methods.every((m) => typeof memberOf(v, m) === 'function')
  }, description)
}

const clockWithNow: Check = objectWith(['now'], 'an object with a now() method')

/** An injected clock: an object with a `now()` method; `setTimeout` / `clearTimeout`, when present, are functions. */
export const clockObject: Check = (value, path) => {
  clockWithNow(value, path)
  for (const timer of ['setTimeout', 'clearTimeout']) {
    const member = memberOf(value as object, timer)
    if (member !== undefined && typeof member !== 'function')
      throw new InvalidOptionsError(`${path}.${timer}`, 'a function, or absent', member)
  }
}

/** Rejects keys of `input` that are not in `known`. */
export function rejectUnknownKeys(input: object, known: ReadonlySet<string>, prefix = ''): void {
  for (const key of Object.keys(input)) {
    if (!known.has(key)) {
      const value = (input as Record<string, unknown>)[key]
      throw new InvalidOptionsError(`${prefix}${key}`, 'a known option (check the spelling)', value)
    }
  }
}

/**
 * The own enumerable properties of an options object, in a record without a prototype, so that
 * nothing set on `Object.prototype` reads as an option. An own `__proto__` key (what
 * `JSON.parse('{"__proto__": {...}}')` makes) is refused: copied by assignment it would become
 * the prototype of the copy, and its members would pass as options that were never validated.
 * `path` prefixes the option names in errors (e.g. `circuitBreaker.`).
 * @throws {InvalidOptionsError} for an own `__proto__` key.
 */
export function ownOptions(input: object, path = ''): Record<string, unknown> {
  const record: Record<string, unknown> = Object.create(null)
  for (const key of Object.keys(input)) {
    const value: unknown = (input as Record<string, unknown>)[key]
    if (key === '__proto__')
      throw new InvalidOptionsError(`${path}${key}`, 'absent (not an option)', value)
    record[key] = value
  }
  return record
}

/**
 * {@link ownOptions} without the keys in `omit`: what is left of an adapter's options once it
 * took its own, for the breaker.
 * @throws {InvalidOptionsError} for an own `__proto__` key.
 */
export function ownOptionsWithout(input: object, omit: readonly string[]): Record<string, unknown> {
  const record = ownOptions(input)
  for (const key of omit) delete record[key]
  return record
}

/**
 * `value` as a breaker key. A `key(request)` option is typed to return a string, but JavaScript
 * callers and bugs return anything, and a request must never pass unguarded because of it.
 * @throws {InvalidOptionsError} naming `key` when it is not a non-empty string of at most 256
 *   characters (the rule for breaker names; the message quotes at most 100 characters).
 */
export function breakerKey(value: unknown): string {
  nonEmptyString(value, 'key')
  return value as string
}

/** `object[key]` when it is an own property of `object`, else undefined. */
export function ownValue(object: object, key: string): unknown {
  return Object.hasOwn(object, key) ? (object as Record<string, unknown>)[key] : undefined
}

/**
 * Copies the own enumerable members of `input`, `undefined` ones included (they clear a default
 * when layered over one), into a record without a prototype, so nothing inherited is read and
 * an own `"__proto__"` key stays an ordinary key.
 */
export function ownMembers<T extends object>(input: T): Partial<T> {
  const out = Object.create(null) as Partial<T>
  for (const key of Object.keys(input) as Array<keyof T>) out[key] = input[key]
  return out
}

/**
 * Copies the own members of `input` that are not `undefined` (`undefined` means "use the
 * default") into a record without a prototype: nothing inherited (a polluted
 * `Object.prototype`) is read, and an own `"__proto__"` key stays an ordinary key, which the
 * unknown-key check then refuses.
 */
export function withoutUndefined<T extends object>(input: T): Partial<T> {
  const out = Object.create(null) as Partial<T>
  for (const key of Object.keys(input) as Array<keyof T>) {
    if (input[key] !== undefined) out[key] = input[key]
  }
  return out
}

/**
 * The option checks core uses, for adapters to validate their own options with the same rules
 * and messages. Each check throws {@link InvalidOptionsError} naming the option path it is given.
 */
export const checks: {
  readonly positiveInteger: Check
  readonly duration: Check
  readonly ratio: Check
  readonly fraction: Check
  readonly func: Check
  readonly nonEmptyString: Check
  readonly oneOf: typeof oneOf
  readonly objectWith: typeof objectWith
  readonly rejectUnknownKeys: typeof rejectUnknownKeys
  readonly withoutUndefined: typeof withoutUndefined
  readonly ownOptions: typeof ownOptions
  readonly ownOptionsWithout: typeof ownOptionsWithout
  readonly ownValue: typeof ownValue
  readonly breakerKey: typeof breakerKey
} = Object.freeze({
  positiveInteger,
  duration,
  ratio,
  fraction,
  func,
  nonEmptyString,
  oneOf,
  objectWith,
  rejectUnknownKeys,
  withoutUndefined,
  ownOptions,
  ownOptionsWithout,
  ownValue,
  breakerKey,
})
