import { InvalidOptionsError } from '@tripswitch/core'

/**
 * The own enumerable properties of an options object, in a record without a prototype, so that
 * nothing set on `Object.prototype` reads as an option (here or in core, which reads what it is
 * given by name). An own `__proto__` key (what `JSON.parse('{"__proto__": {...}}')` makes) is
 * refused: copied by assignment it would become the prototype of the copy, and its members
 * would pass as options that were never validated.
 * @param path prefix of the option names in errors, e.g. `circuitBreaker.`.
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

/** `object[key]` when it is an own property of `object`, else undefined. */
export function ownValue(object: object, key: string): unknown {
  return Object.hasOwn(object, key) ? (object as Record<string, unknown>)[key] : undefined
}
