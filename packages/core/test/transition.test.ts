import { CircuitState, isTripswitchError, TripswitchError } from '@tripswitch/core'
import { describe, expect, it } from 'vitest'
import {
  type BreakerEvent,
  type BreakerState,
  INITIAL_STATE,
  LEGAL_TRANSITIONS,
  transition,
} from '../src/transition.ts'

/** One representative of every state, as a caller would hold it (generation 7). */
const STATES: Record<CircuitState, BreakerState> = {
  closed: { state: 'closed', generation: 7 },
  open: { state: 'open', generation: 7, openedAt: 1_000, openUntil: 31_000, openings: 2 },
  half_open: { state: 'half_open', generation: 7, openings: 2, since: 50 },
  forced_open: { state: 'forced_open', generation: 7 },
  disabled: { state: 'disabled', generation: 7 },
}

const EVENTS: Record<BreakerEvent['type'], BreakerEvent> = {
  trip: { type: 'trip', now: 5_000, openForMs: 2_500 },
  halfOpen: { type: 'halfOpen', now: 60 },
  close: { type: 'close' },
  forceOpen: { type: 'forceOpen' },
  disable: { type: 'disable' },
  reset: { type: 'reset' },
}

/**
 * The documented state machine, written out by hand: `(state, event) -> next`.
 * Pairs that are absent are illegal.
 */
const EXPECTED: Partial<Record<`${CircuitState} + ${BreakerEvent['type']}`, BreakerState>> = {
  'closed + trip': { state: 'open', generation: 8, openedAt: 5_000, openUntil: 7_500, openings: 1 },
  'half_open + trip': {
    state: 'open',
    generation: 8,
    openedAt: 5_000,
    openUntil: 7_500,
    openings: 3,
  },
  'open + halfOpen': { state: 'half_open', generation: 8, openings: 2, since: 60 },
  'half_open + close': { state: 'closed', generation: 8 },
  ...Object.fromEntries(
    Object.values(CircuitState).flatMap((s) => [
      [`${s} + forceOpen`, { state: 'forced_open', generation: 8 }],
      [`${s} + disable`, { state: 'disabled', generation: 8 }],
      [`${s} + reset`, { state: 'closed', generation: 8 }],
    ]),
  ),
}

const pairs = Object.values(CircuitState).flatMap((state) =>
  (Object.keys(EVENTS) as Array<BreakerEvent['type']>).map((event) => {
    const key = `${state} + ${event}` as const
    return { key, state, event, expected: EXPECTED[key] }
  }),
)
const legal = pairs.filter((p) => p.expected !== undefined)
const illegal = pairs.filter((p) => p.expected === undefined)

describe('transition()', () => {
  it('publishes exactly the legal pairs in LEGAL_TRANSITIONS', () => {
    const published = Object.entries(LEGAL_TRANSITIONS).flatMap(([event, states]) =>
      states.map((state) => `${state} + ${event}`),
    )
    expect(published.sort()).toEqual(legal.map((p) => p.key).sort())
    expect(published).toHaveLength(19)
  })

  it.each(legal)('$key -> $expected.state', ({ state, event, expected }) => {
    const from = Object.freeze({ ...STATES[state] })
    const next = transition(from, EVENTS[event])
    expect(next).toStrictEqual(expected)
    // The input is left as it was (frozen: a write would have thrown).
    expect(from).toStrictEqual(STATES[state])
  })

  it.each(illegal)('$key throws ERR_CIRCUIT_TRANSITION', ({ state, event }) => {
    let thrown: unknown
    try {
      transition(STATES[state], EVENTS[event])
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(TripswitchError)
    expect(isTripswitchError(thrown)).toBe(true)
    const error = thrown as TripswitchError
    expect(error.code).toBe('ERR_CIRCUIT_TRANSITION')
    expect(error.message).toContain(event)
    expect(error.message).toContain(state)
  })

  it.each(legal)('$key is pure: the same input gives the same output', ({ state, event }) => {
    const a = transition(STATES[state], EVENTS[event])
    const b = transition(STATES[state], EVENTS[event])
    expect(a).toStrictEqual(b)
    expect(a).not.toBe(b)
  })

  it.each([
    [0, 1],
    [1_700_000_000_000, 30_000],
    [-500, 250],
  ])('opens until now + openForMs (now %i, for %i ms)', (now, openForMs) => {
    const next = transition(INITIAL_STATE, { type: 'trip', now, openForMs })
    expect(next).toMatchObject({ state: 'open', openedAt: now, openUntil: now + openForMs })
  })

  it('starts closed at generation 0', () => {
    expect(INITIAL_STATE).toStrictEqual({ state: 'closed', generation: 0 })
    expect(Object.isFrozen(INITIAL_STATE)).toBe(true)
  })
})

describe('openings and generations along a path', () => {
  const trip = (now: number): BreakerEvent => ({ type: 'trip', now, openForMs: 100 })

  it('counts openings on each half_open -> open and forgets them on close', () => {
    const path: Array<[BreakerEvent, CircuitState, number]> = [
      [trip(0), 'open', 1],
      [EVENTS.halfOpen, 'half_open', 1],
      [trip(100), 'open', 2],
      [EVENTS.halfOpen, 'half_open', 2],
      [trip(300), 'open', 3],
      [EVENTS.halfOpen, 'half_open', 3],
      [EVENTS.close, 'closed', 0],
      [trip(900), 'open', 1],
    ]
    let s: BreakerState = INITIAL_STATE
    path.forEach(([event, state, openings], i) => {
      s = transition(s, event)
      expect(s.state).toBe(state)
      expect(s.generation).toBe(i + 1)
      expect('openings' in s ? s.openings : 0).toBe(openings)
    })
  })

  it.each(['forceOpen', 'disable', 'reset'] as const)(
    'forgets openings after %s, so the next trip is the first again',
    (event) => {
      let s = transition(transition(transition(INITIAL_STATE, trip(0)), EVENTS.halfOpen), trip(1))
      expect(s).toMatchObject({ openings: 2 })
      s = transition(s, EVENTS[event])
      if (s.state !== 'closed') s = transition(s, EVENTS.reset)
      expect(transition(s, trip(2))).toMatchObject({ state: 'open', openings: 1 })
    },
  )

  it('keeps openings from open to half_open', () => {
    const open: BreakerState = {
      state: 'open',
      generation: 3,
      openedAt: 0,
      openUntil: 1,
      openings: 5,
    }
    expect(transition(open, EVENTS.halfOpen)).toStrictEqual({
      state: 'half_open',
      generation: 4,
      openings: 5,
      since: 60,
    })
  })
})
