import { CircuitBreakerRegistry } from './registry.ts'

// Kept on globalThis under a registered symbol, not in a module variable: an app that loads
// core both through `import` and through `require` (the dual-package hazard) would otherwise
// get two default registries, and a status handler would miss the breakers of the other copy.
const SLOT = Symbol.for('@tripswitch/core.defaultRegistry')

type Slot = { [SLOT]?: CircuitBreakerRegistry }

/**
 * The process-wide registry every adapter uses when it is given no `registry` (nor a `store` or
 * `clock`, which ask for a private one), and that status handlers and health indicators report
 * on by default. So `circuitStatus()` in Express also sees the breakers an axios instance
 * created. Made on first call with core's defaults (`maxBreakers` 1,000, in-process state,
 * the system clock); every later call returns the same registry, across copies of core loaded
 * through `import` and `require`.
 *
 * ```ts
 * import { defaultRegistry } from '@tripswitch/core'
 * defaultRegistry().on('stateChange', ({ name, to }) => console.log(name, to))
 * ```
 */
export function defaultRegistry(): CircuitBreakerRegistry {
  const slot = globalThis as Slot
  slot[SLOT] ??= new CircuitBreakerRegistry()
  return slot[SLOT]
}
