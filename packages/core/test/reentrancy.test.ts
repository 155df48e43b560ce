import {
  CircuitBreaker,
  type CircuitBreakerEvents,
  isCircuitOpenError,
  MemoryStore,
} from '@tripswitch/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../src/testing/fake-clock.ts'

// Listeners that act on the breaker they listen to (reset() in an `open` listener, a failing
// execute() in a `close` listener, ...) must leave breaker and store agreeing: a breaker that
// runs ahead of its store refuses every call with retryAfterMs 0 until someone resets it.

const flush = () => new Promise<void>((resolve) => setImmediate(resolve))
const boom = () => Promise.reject(new Error('boom'))
const ok = () => Promise.resolve('ok')

const ACTIONS = ['reset', 'forceOpen', 'disable', 'fail', 'succeed', 'none'] as const
type Action = (typeof ACTIONS)[number]
const EVENTS = ['open', 'close', 'halfOpen', 'stateChange'] as const
type TransitionEvent = (typeof EVENTS)[number] & keyof CircuitBreakerEvents

function act(breaker: CircuitBreaker, action: Action): void {
  if (action === 'reset') breaker.reset()
  else if (action === 'forceOpen') breaker.forceOpen()
  else if (action === 'disable') breaker.disable()
  else if (action === 'fail') void breaker.execute(boom).catch(() => undefined)
  else if (action === 'succeed') void breaker.execute(ok).catch(() => undefined)
}

function setup(recoveryTimeout = 1_000) {
  const clock = new FakeClock(10_000)
  const store = new MemoryStore({ clock })
  const options = { name: 'db', clock, store, errorThreshold: 1, recoveryTimeout }
  return { clock, store, breaker: new CircuitBreaker(options), peer: new CircuitBreaker(options) }
}

/** Breaker, peer and store agree on state and generation. */
function expectAgreement(breaker: CircuitBreaker, peer: CircuitBreaker, store: MemoryStore): void {
  const mine = breaker.snapshot()
  const theirs = peer.snapshot()
  const shared = store.read('db')
  expect({ state: mine.state, generation: mine.generation }).toEqual({
    state: shared.state,
    generation: shared.generation,
  })
  expect({ state: theirs.state, generation: theirs.generation }).toEqual({
    state: shared.state,
    generation: shared.generation,
  })
}

describe('listeners that call back into the breaker', () => {
  it('reset() inside an open listener leaves breaker and store closed, at one generation', async () => {
    const { breaker, peer, store } = setup()
    const off = breaker.on('open', () => breaker.reset())
    await breaker.execute(boom).catch(() => undefined)
    off()
    expectAgreement(breaker, peer, store)
    expect(breaker.state).toBe('closed')
    await expect(breaker.execute(ok)).resolves.toBe('ok')
    // A later trip is shared, and recovers after the deadline.
    await breaker.execute(boom).catch(() => undefined)
    expectAgreement(breaker, peer, store)
    expect(breaker.state).toBe('open')
  })

  it('a failing execute() inside a close listener reopens breaker and store together', async () => {
    const { breaker, peer, store, clock } = setup()
    await breaker.execute(boom).catch(() => undefined)
    clock.advance(1_000)
    let once = true
    breaker.on('close', () => {
      if (once) void breaker.execute(boom).catch(() => undefined)
      once = false
    })
    await breaker.execute(ok)
    await flush()
    expectAgreement(breaker, peer, store)
    expect(breaker.state).toBe('open')
    expect(breaker.retryAfterMs).toBe(1_000)
    clock.advance(1_000)
    // Past the deadline the next call is a probe, not a refusal with retryAfterMs 0.
    const permit = await breaker.acquire()
    expect(permit.probe).toBe(true)
    permit.success()
    expectAgreement(breaker, peer, store)
    expect(breaker.state).toBe('closed')
  })

  it('hears transitions in the order they happened, a listener’s own move after the one it heard', async () => {
    const { breaker } = setup()
    const seen: string[] = []
    breaker.on('stateChange', ({ from, to }) => seen.push(`${from}->${to}`))
    breaker.on('open', ({ reason }) => {
      if (reason === 'threshold') breaker.forceOpen()
    })
    breaker.on('stateChange', ({ to }) => {
      if (to === 'forced_open') breaker.disable()
    })
    await breaker.execute(boom).catch(() => undefined)
    expect(seen).toEqual(['closed->open', 'open->forced_open', 'forced_open->disabled'])
    expect(breaker.state).toBe('disabled')
  })

  it('holds its invariants for any listeners acting on the breaker (property)', async () => {
    const listener = fc.record({
      event: fc.constantFrom(...EVENTS),
      action: fc.constantFrom(...ACTIONS),
      times: fc.integer({ min: 1, max: 3 }),
    })
    const step = fc.oneof(
      fc.constant({ kind: 'fail' as const }),
      fc.constant({ kind: 'succeed' as const }),
      fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 1_500 }) }),
      fc.record({ kind: fc.constant('act' as const), action: fc.constantFrom(...ACTIONS) }),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.array(listener, { maxLength: 4 }),
        fc.array(step, { minLength: 1, maxLength: 30 }),
        async (listeners, steps) => {
          const { breaker, peer, store, clock } = setup()
          // Never refused with "retry in 0 ms" while the store says closed: checked at the
          // moment of each refusal, listeners' own calls included.
          const zeroWhileClosed: string[] = []
          breaker.on('reject', ({ error }) => {
            const shared = store.read('db')
            if (isCircuitOpenError(error) && error.retryAfterMs === 0 && shared.state === 'closed')
              zeroWhileClosed.push(`${error.state} / store closed at ${shared.generation}`)
          })
          let quiet = false
          for (const { event, action, times } of listeners) {
            let left = times
            breaker.on(event as TransitionEvent, () => {
              if (quiet || left-- <= 0) return
              act(breaker, action)
            })
          }
          for (const s of steps) {
            if (s.kind === 'tick') clock.advance(s.ms)
            else if (s.kind === 'act') act(breaker, s.action)
            else act(breaker, s.kind)
            await flush()
            expectAgreement(breaker, peer, store)
            await breaker.acquire().then(
              (permit) => permit.ignore(),
              () => undefined,
            )
            await flush()
          }
          expect(zeroWhileClosed).toEqual([])
          // A call after the deadline gets a probe or a permit (listeners quiet: none forces it).
          quiet = true
          if (breaker.state === 'forced_open' || breaker.state === 'disabled') breaker.reset()
          clock.advance(breaker.retryAfterMs)
          await flush()
          const permit = await breaker.acquire()
          permit.success()
          expectAgreement(breaker, peer, store)
        },
      ),
      { numRuns: process.env.CI ? 500 : 150 },
    )
  })
})
