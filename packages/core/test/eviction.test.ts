import { CircuitBreakerRegistry } from '@tripswitch/core'
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../src/testing/fake-clock.ts'

const fail = () => Promise.reject(new Error('down'))
const ok = () => Promise.resolve('up')

describe('registry eviction keeps only live state', () => {
  it('evicts a consecutive breaker whose failure run a success ended', async () => {
    const registry = new CircuitBreakerRegistry({ maxBreakers: 1, defaults: { errorThreshold: 3 } })
    const first = registry.get('first')
    await first.execute(fail).catch(() => {})
    await first.execute(ok)
    registry.get('second')
    expect(registry.has('first')).toBe(false)
    expect(registry.has('second')).toBe(true)
  })

  it('keeps a consecutive breaker in the middle of a failure run', async () => {
    const registry = new CircuitBreakerRegistry({ maxBreakers: 1, defaults: { errorThreshold: 3 } })
    await registry
      .get('first')
      .execute(fail)
      .catch(() => {})
    const shared = registry.get('second')
    expect(registry.has('first')).toBe(true)
    expect(shared.name).toBe('tripswitch:overflow')
  })

  it('evicts a window breaker once its failures have left the window', async () => {
    const clock = new FakeClock(-50_000)
    const registry = new CircuitBreakerRegistry({
      maxBreakers: 1,
      clock,
      defaults: { strategy: 'window', windowMs: 1_000, errorThreshold: 3 },
    })
    await registry
      .get('first')
      .execute(fail)
      .catch(() => {})
    registry.get('second')
    expect(registry.has('first')).toBe(true)
    clock.advance(1_001)
    registry.get('third')
    expect(registry.has('first')).toBe(false)
    expect(registry.has('third')).toBe(true)
  })
})

describe('registry.validate', () => {
  it('checks options over the defaults without creating a breaker', () => {
    const registry = new CircuitBreakerRegistry({ defaults: { strategy: 'rate' } })
    expect(registry.validate({ windowSize: 20 }).minimumCalls).toBe(10)
    expect(() => registry.validate({ errorThreshold: 3 })).toThrow(/errorThreshold/)
    expect(registry.size).toBe(0)
  })
})
