import { type ReflectableDecorator, Reflector } from '@nestjs/core'
import { InvalidOptionsError } from '@tripswitch/core'
import { checks, OPTION_NAMES } from '@tripswitch/core/adapter'
import type { CircuitBreakerDecoratorOptions } from './circuit-breaker.options.ts'
import { ownOptions } from './circuit-breaker.own-options.ts'

// The registry owns store and clock; timeout needs the response lifecycle (not supported here).
const NOT_HERE = new Set(['store', 'clock', 'timeout'])
const KNOWN: ReadonlySet<string> = new Set([...OPTION_NAMES].filter((key) => !NOT_HERE.has(key)))

/**
 * Checks what can be checked without the module's defaults: the shape, the adapter's own
 * options and the option names. Values are checked by core, over the defaults, at module init.
 */
function checkOptions(
  input: CircuitBreakerDecoratorOptions | undefined,
): Readonly<CircuitBreakerDecoratorOptions> {
  if (input === undefined) return Object.freeze({})
  checks.objectWith([], 'an options object')(input, 'options')
  // Own properties only: a value set on Object.prototype is never an option.
  const given = ownOptions(input)
  for (const key of Object.keys(given)) {
    if (!KNOWN.has(key)) {
      const rule = NOT_HERE.has(key)
        ? 'absent in @CircuitBreaker() (store and clock belong to TripswitchModule.forRoot)'
        : 'a known option (check the spelling)'
      throw new InvalidOptionsError(key, rule, (given as Record<string, unknown>)[key])
    }
  }
  if (given.name !== undefined) checks.nonEmptyString(given.name, 'name')
  if (given.detectError !== undefined) checks.func(given.detectError, 'detectError')
  if (given.fallback !== undefined) checks.func(given.fallback, 'fallback')
  return given
}

/** The options of `@CircuitBreaker()`, read by the interceptor handler-first, then class. */
export const CircuitBreakerMetadata: ReflectableDecorator<
  CircuitBreakerDecoratorOptions | undefined,
  Readonly<CircuitBreakerDecoratorOptions>
> = Reflector.createDecorator<
  CircuitBreakerDecoratorOptions | undefined,
  Readonly<CircuitBreakerDecoratorOptions>
>({ transform: checkOptions })
