import { InvalidOptionsError } from '@tripswitch/core'

/**
 * The own enumerable properties of an options object but `undefined` ones (which mean "use the
 * default") and those in `omit`, in a frozen record without a prototype, so that nothing set on
 * `Object.prototype` reads as an option. An own `__proto__` key (what
 * `JSON.parse('{"__proto__": {...}}')` makes) is refused: copied by assignment it would become
 * the prototype of the copy, and its members would pass as options that were never validated.
 * @param path prefix of the option names in errors, e.g. `defaults.`.
 * @throws {InvalidOptionsError} for an own `__proto__` key.
 */
export function ownOptions<T extends object>(
  input: T,
  omit: readonly string[] = [],
  path = '',
): Readonly<Partial<T>> {
  const record: Record<string, unknown> = Object.create(null)
  for (const key of Object.keys(input)) {
    const value: unknown = (input as Record<string, unknown>)[key]
    if (key === '__proto__')
      throw new InvalidOptionsError(`${path}${key}`, 'absent (not an option)', value)
    if (value !== undefined && !omit.includes(key)) record[key] = value
  }
  return Object.freeze(record) as Readonly<Partial<T>>
}
