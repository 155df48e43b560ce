import {
  type BreakerDefaults,
  type CircuitBreaker,
  CircuitBreakerRegistry,
  type CircuitSnapshot,
  OVERFLOW_BREAKER_NAME,
} from '@tripswitch/core'
import { CircuitReading, everyBreaker, readCircuit } from '@tripswitch/core/adapter'
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../src/testing/fake-clock.ts'

const fail = () => Promise.reject(new Error('down'))
const ok = () => 'ok'

/** What a reading says, in the shape of the snapshot fields it stands for. */
function asSnapshotFields(r: CircuitReading) {
  return {
    name: r.name,
    state: r.state,
    calls: r.calls,
    failureRate: r.failureRate,
    slowCallRate: r.slowCallRate,
    totals: {
      successful: r.successful,
      failed: r.failed,
      ignored: r.ignored,
      notPermitted: r.notPermitted,
      busy: r.busy,
      timeouts: r.timeouts,
      transitions: Object.fromEntries(r.transitions),
    },
  }
}

function snapshotFields(s: CircuitSnapshot) {
  const { successful, failed, ignored, notPermitted, busy, timeouts, transitions } = s.totals
  return {
    name: s.name,
    state: s.state,
    calls: s.calls,
    failureRate: s.failureRate,
    slowCallRate: s.slowCallRate,
    totals: { successful, failed, ignored, notPermitted, busy, timeouts, transitions },
  }
}

async function drive(breaker: CircuitBreaker, failures: number): Promise<void> {
  await breaker.execute(ok).catch(() => {})
  for (let i = 0; i < failures; i++) await breaker.execute(fail).catch(() => {})
  await breaker.execute(ok).catch(() => {})
}

const STRATEGIES: Array<[string, BreakerDefaults]> = [
  ['consecutive (running window)', { errorThreshold: 3, recoveryTimeout: 1_000 }],
  ['rate over the last calls (ring)', { strategy: 'rate', windowSize: 10, minimumCalls: 4 }],
  ['rate over time', { strategy: 'rate', windowMs: 2_000, minimumCalls: 4 }],
  ['window', { strategy: 'window', errorThreshold: 3, windowMs: 2_000 }],
]

describe('readCircuit', () => {
  for (const [label, defaults] of STRATEGIES) {
    it(`reads what snapshot() says, step after step (${label})`, async () => {
      const clock = new FakeClock(10_000)
      const a = new CircuitBreakerRegistry({ clock, defaults })
      const b = new CircuitBreakerRegistry({ clock, defaults })
      const reading = new CircuitReading()
      // Twin breakers driven alike: one read, the other snapshotted (either read moves state).
      for (const failures of [0, 1, 4, 0, 6, 2]) {
        await drive(a.get('x'), failures)
        await drive(b.get('x'), failures)
        clock.advance(1_500)
        expect(asSnapshotFields(readCircuit(a.get('x'), reading))).toEqual(
          snapshotFields(b.get('x').snapshot()),
        )
      }
      expect(Object.keys(a.get('x').snapshot().totals.transitions).length).toBeGreaterThan(0)
    })
  }

  it('reads an open circuit past its deadline as half_open, as snapshot() does', async () => {
    const clock = new FakeClock(0)
    const registry = new CircuitBreakerRegistry({
      clock,
      defaults: { errorThreshold: 1, recoveryTimeout: 1_000 },
    })
    const breaker = registry.get('x')
    await breaker.execute(fail).catch(() => {})
    const reading = new CircuitReading()
    expect(readCircuit(breaker, reading).state).toBe('open')
    clock.advance(1_000)
    expect(readCircuit(breaker, reading).state).toBe('half_open')
    expect(Object.fromEntries(reading.transitions)).toEqual({
      'closed->open': 1,
      'open->half_open': 1,
    })
  })

  it('reads a breaker of another copy of the package through its snapshot()', () => {
    const registry = new CircuitBreakerRegistry()
    const real = registry.get('x')
    const foreign = { snapshot: () => real.snapshot() } as unknown as CircuitBreaker
    const reading = readCircuit(foreign, new CircuitReading())
    expect(asSnapshotFields(reading)).toEqual(snapshotFields(real.snapshot()))
  })
})

describe('everyBreaker', () => {
  it('lists the breakers of registry.snapshot(), in its order, the overflow breaker last', () => {
    const registry = new CircuitBreakerRegistry({ maxBreakers: 2 })
    registry.get('a').forceOpen()
    registry.get('b').forceOpen()
    expect(everyBreaker(registry).map((b) => b.name)).toEqual(['a', 'b'])
    registry.get('c') // full of breakers that are not idle: c uses the overflow breaker
    registry.get('a')
    const names = everyBreaker(registry).map((b) => b.name)
    expect(names).toEqual(Object.keys(registry.snapshot()))
    expect(names).toEqual(['b', 'a', OVERFLOW_BREAKER_NAME])
  })
})
