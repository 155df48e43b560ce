import { ErrorCode, TripswitchError } from './errors.ts'
import { CircuitState } from './state.ts'

/**
 * The state of a circuit as plain data: a discriminated union whose members carry only what
 * their state needs. `generation` grows by one on every transition; outcomes of calls that
 * started in an older generation never move the circuit.
 */
export type BreakerState =
  | { readonly state: 'closed'; readonly generation: number }
  | {
      readonly state: 'open'
      readonly generation: number
      /** Clock time (ms) of the opening. */
      readonly openedAt: number
      /** Clock time (ms) from which a probe is allowed. */
      readonly openUntil: number
      /** Openings since the circuit was last closed; drives backoff. */
      readonly openings: number
    }
  | {
      readonly state: 'half_open'
      readonly generation: number
      readonly openings: number
      /** Clock time (ms) the half-open phase began, as this breaker saw it. */
      readonly since: number
    }
  | { readonly state: 'forced_open'; readonly generation: number }
  | { readonly state: 'disabled'; readonly generation: number }

/** What can happen to a circuit. Time arrives inside the event; the reducer reads no clock. */
export type BreakerEvent =
  | { readonly type: 'trip'; readonly now: number; readonly openForMs: number }
  | { readonly type: 'halfOpen'; readonly now: number }
  | { readonly type: 'close' }
  | { readonly type: 'forceOpen' }
  | { readonly type: 'disable' }
  | { readonly type: 'reset' }

const ANY: readonly CircuitState[] = Object.values(CircuitState)

/** The legal transitions, as data: event type -> the states it may leave. */
export const LEGAL_TRANSITIONS: { readonly [K in BreakerEvent['type']]: readonly CircuitState[] } =
  {
    trip: ['closed', 'half_open'],
    halfOpen: ['open'],
    close: ['half_open'],
    forceOpen: ANY,
    disable: ANY,
    reset: ANY,
  }

/** The state of a circuit that has never been used. */
export const INITIAL_STATE: BreakerState = Object.freeze({ state: 'closed', generation: 0 })

/**
 * The pure reducer: the next state after `event`. Throws `ERR_CIRCUIT_TRANSITION` for a move
 * that is not in {@link LEGAL_TRANSITIONS}, so an illegal transition can never be applied.
 */
export function transition(current: BreakerState, event: BreakerEvent): BreakerState {
  if (!LEGAL_TRANSITIONS[event.type].includes(current.state)) {
    throw new TripswitchError(
      ErrorCode.IllegalTransition,
      `Illegal transition "${event.type}" from state ${current.state}`,
    )
  }
  const generation = current.generation + 1
  switch (event.type) {
    case 'trip': {
      const openings = current.state === 'half_open' ? current.openings + 1 : 1
      const openUntil = event.now + event.openForMs
      return { state: 'open', generation, openedAt: event.now, openUntil, openings }
    }
    case 'halfOpen':
      return { state: 'half_open', generation, openings: openingsOf(current), since: event.now }
    case 'close':
    case 'reset':
      return { state: 'closed', generation }
    case 'forceOpen':
      return { state: 'forced_open', generation }
    case 'disable':
      return { state: 'disabled', generation }
  }
}

/** Openings since the last close (0 when closed, forced or disabled). */
export function openingsOf(state: BreakerState): number {
  return state.state === 'open' || state.state === 'half_open' ? state.openings : 0
}
