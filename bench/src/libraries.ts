/**
 * How each library under comparison is constructed, in one place, so every scenario builds
 * the same breakers. Options are chosen to be comparable:
 *
 * - Tripswitch: consecutive strategy (the default), no timeout (the default).
 * - opossum 10: `timeout: false`, because its default wraps every call in a 10 s timer while
 *   Tripswitch and cockatiel have none by default. (The closed scenario also shows opossum
 *   and Tripswitch with a 10 s timeout, for completeness.)
 * - cockatiel 4: `circuitBreaker(handleAll, { halfOpenAfter, breaker: ConsecutiveBreaker })`.
 */
import { CircuitBreaker, type CircuitBreakerOptions } from '@tripswitch/core'
import {
  type CircuitBreakerPolicy,
  CircuitState as CockatielState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleAll,
} from 'cockatiel'
import Opossum from 'opossum'

/** An action as opossum wants it: any promise-returning function. */
export type Action = () => Promise<number>

export const LIBRARIES = {
  tripswitch: 'tripswitch',
  opossum: 'opossum 10',
  cockatiel: 'cockatiel 4',
} as const

export function tripswitch(options: CircuitBreakerOptions = {}): CircuitBreaker {
  return new CircuitBreaker(options)
}

export function opossum(action: Action, options: Opossum.Options = {}): Opossum<[], number> {
  // opossum mutates the options object it is given: always pass a fresh one.
  return new Opossum(action, { timeout: false, ...options })
}

export function cockatiel(threshold: number, halfOpenAfter = 30_000): CircuitBreakerPolicy {
  return circuitBreaker(handleAll, { halfOpenAfter, breaker: new ConsecutiveBreaker(threshold) })
}

/** One-word state of each library's breaker, for assertions. */
export const stateOf = {
  tripswitch: (b: CircuitBreaker): string => b.state,
  opossum: (b: Opossum<[], number>): string =>
    b.opened ? 'open' : b.halfOpen ? 'half_open' : 'closed',
  cockatiel: (p: CircuitBreakerPolicy): string => CockatielState[p.state],
}

/** Throws (failing the whole run) when a breaker is not in the state a scenario relies on. */
export function assertState(
  scenario: string,
  contender: string,
  actual: string,
  expected: string,
): void {
  if (actual.toLowerCase() !== expected.toLowerCase()) {
    throw new Error(
      `[${scenario}] ${contender} breaker is "${actual}", expected "${expected}": the measurement is invalid`,
    )
  }
}
