import { type CircuitBreakerRegistry, OVERFLOW_BREAKER_NAME } from '@tripswitch/core'

/**
 * Tells whether a breaker that published on a diagnostics channel belongs to `registry`. The
 * channels carry every breaker of the process; two registries (or a standalone breaker) may
 * hold the same name, so the breaker object decides, once per object.
 */
export class Membership {
  private readonly known = new WeakMap<object, boolean>()

  constructor(private readonly registry: CircuitBreakerRegistry) {}

  /** True when `breaker`, called `name`, is (still) one of the registry's. */
  has(name: string, breaker: object): boolean {
    // The overflow breaker is not listed by name; it is taken on its reserved name.
    if (name === OVERFLOW_BREAKER_NAME) return true
    if (!this.registry.has(name)) return false
    let mine = this.known.get(breaker)
    if (mine === undefined) {
      // get() on a held name returns that breaker (marking it used, as its call just did).
      mine = this.registry.get(name) === breaker
      this.known.set(breaker, mine)
    }
    return mine
  }
}
