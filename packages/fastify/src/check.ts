import { InvalidOptionsError, isInvalidOptionsError } from '@tripswitch/core'

// Core validates every breaker option. These few checks cover the options only this plugin has
// (hooks, messages, flags); they throw core's InvalidOptionsError so users see one error type.

/** Throws `InvalidOptionsError(option, rule, value)` unless `ok`. */
export function expect(ok: boolean, option: string, rule: string, value: unknown): void {
  if (!ok) throw new InvalidOptionsError(option, rule, value)
}

/** A plain options object (not null, not an array). */
export function isOptionsObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `undefined`, or a value passing `test`. */
export function optional(
  value: unknown,
  test: (v: unknown) => boolean,
  option: string,
  rule: string,
): void {
  if (value !== undefined) expect(test(value), option, rule, value)
}

/** Tests for {@link optional}. */
export const is = {
  function: (v: unknown): boolean => typeof v === 'function',
  string: (v: unknown): boolean => typeof v === 'string',
  boolean: (v: unknown): boolean => typeof v === 'boolean',
}

/**
 * Runs `validate`; an `InvalidOptionsError` it throws is rethrown naming the option as the user
 * wrote it (`threshold` rather than core's `errorThreshold`), under `prefix`.
 */
export function asWritten<T>(
  validate: () => T,
  names: Readonly<Record<string, string>>,
  prefix = '',
): T {
  try {
    return validate()
  } catch (error) {
    if (!isInvalidOptionsError(error)) throw error
    const renamed = Object.hasOwn(names, error.option) ? names[error.option] : undefined
    const option = `${prefix}${renamed ?? error.option}`
    if (option === error.option) throw error
    throw new InvalidOptionsError(option, error.rule, error.value)
  }
}
