import { checks } from '@tripswitch/core/adapter'

/**
 * Core's own-property reading (`checks.ownOptions`: no prototype, an own `__proto__` refused)
 * without the keys in `omit`, which the adapter takes for itself.
 * @throws {InvalidOptionsError} for an own `__proto__` key.
 */
export function ownOptions(input: object, omit: readonly string[] = []): Record<string, unknown> {
  const record = checks.ownOptions(input)
  for (const key of omit) delete record[key]
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
