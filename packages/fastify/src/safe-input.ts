import { InvalidOptionsError } from '@tripswitch/core'

/** What a breaker key must be: core's rule for breaker names. */
export const KEY_RULE = 'a non-empty string of at most 256 characters'
const MAX_KEY_LENGTH = 256
// A key is built from request data; an error (and every log line carrying it) quotes only this much.
const MAX_QUOTED = 100

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
 * `value` as a breaker key.
 * @throws {InvalidOptionsError} naming `key` when it is not {@link KEY_RULE}; a long string
 *   is quoted (in `value` and the message) by its first 100 characters only.
 */
export function checkedKey(value: unknown): string {
  if (typeof value === 'string' && value.length > 0 && value.length <= MAX_KEY_LENGTH) return value
  throw new InvalidOptionsError('key', KEY_RULE, quotable(value))
}

function quotable(value: unknown): unknown {
  if (typeof value !== 'string' || value.length <= MAX_QUOTED) return value
  return `${value.slice(0, MAX_QUOTED)}… (${value.length} characters)`
}
