/**
 * The states of a circuit, as plain strings so that they read the same in logs, JSON and Redis.
 * - `closed`: calls flow; outcomes are counted.
 * - `open`: calls are rejected until the recovery timeout has passed.
 * - `half_open`: a limited number of probe calls decide whether to close or reopen.
 * - `forced_open`: rejected until {@link CircuitBreaker.reset}; set by `forceOpen()`.
 * - `disabled`: every call passes and nothing is counted; set by `disable()`.
 */
export const CircuitState = {
  Closed: 'closed',
  Open: 'open',
  HalfOpen: 'half_open',
  ForcedOpen: 'forced_open',
  Disabled: 'disabled',
} as const

/** One of the {@link CircuitState} values. */
export type CircuitState = (typeof CircuitState)[keyof typeof CircuitState]

const ALL_STATES: ReadonlySet<string> = new Set(Object.values(CircuitState))

/** True when `value` is one of the {@link CircuitState} strings. */
export function isCircuitState(value: unknown): value is CircuitState {
  return typeof value === 'string' && ALL_STATES.has(value)
}
