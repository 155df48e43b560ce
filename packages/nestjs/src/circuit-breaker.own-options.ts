import { checks } from '@tripswitch/core/adapter'

/**
 * Core's own-property reading (`checks.ownOptions`: no prototype, an own `__proto__` refused,
 * named with `path`) without `undefined` members (they mean "use the default") and the keys in
 * `omit`, frozen.
 * @param path prefix of the option names in errors, e.g. `defaults.`.
 * @throws {InvalidOptionsError} for an own `__proto__` key.
 */
export function ownOptions<T extends object>(
  input: T,
  omit: readonly string[] = [],
  path = '',
): Readonly<Partial<T>> {
  const record = checks.ownOptions(input, path)
  for (const key of Object.keys(record))
    if (record[key] === undefined || omit.includes(key)) delete record[key]
  return Object.freeze(record) as Readonly<Partial<T>>
}
