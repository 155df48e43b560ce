import { checks, InvalidOptionsError } from '@tripswitch/core'

/**
 * The own enumerable properties of an options object but those in `omit`, in a record without a
 * prototype, so that nothing set on `Object.prototype` reads as an option (here or in core,
 * which reads what it is given by name). An own `__proto__` key (what
 * `JSON.parse('{"__proto__": {...}}')` makes) is refused: copied by assignment it would become
 * the prototype of the copy, and its members would pass as options that were never validated.
 * @throws {InvalidOptionsError} for an own `__proto__` key.
 */
export function ownOptions(input: object, omit: readonly string[] = []): Record<string, unknown> {
  const record: Record<string, unknown> = Object.create(null)
  for (const key of Object.keys(input)) {
    const value: unknown = (input as Record<string, unknown>)[key]
    if (key === '__proto__') throw new InvalidOptionsError(key, 'absent (not an option)', value)
    if (!omit.includes(key)) record[key] = value
  }
  return record
}

/**
 * `value` as a breaker key: `key(req)` is typed to return a string, but JavaScript callers and
 * bugs return anything, and a request must never pass unguarded because of it.
 * @throws {InvalidOptionsError} naming `key` when it is not a non-empty string of at most 256
 *   characters (core's rule for breaker names; the message quotes at most 100 characters).
 */
export function checkedKey(value: unknown): string {
  checks.nonEmptyString(value, 'key')
  return value as string
}
