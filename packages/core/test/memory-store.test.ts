import { MemoryStore } from '@tripswitch/core'
import { describeStoreContract, FakeClock } from '@tripswitch/core/testing'
import { describe, expect, it } from 'vitest'

describeStoreContract(
  'MemoryStore',
  () => {
    const clock = new FakeClock(1_000_000)
    return { store: new MemoryStore({ clock }), advance: (ms) => clock.advance(ms) }
  },
  { describe, it },
)

describe('MemoryStore', () => {
  it.each([
    ['not an object', 5, 'options'],
    ['an unknown key', { clok: { now: () => 0 } }, 'clok'],
    ['a clock without now()', { clock: {} }, 'clock'],
  ])('rejects %s', (_case, options, option) => {
    expect(() => new MemoryStore(options as never)).toThrow(
      expect.objectContaining({ code: 'ERR_CIRCUIT_OPTIONS', option }),
    )
  })

  it('answers synchronously, so in-process breakers decide without waiting', () => {
    const store = new MemoryStore({ clock: new FakeClock() })
    const answer = store.transition('a', {
      fromGeneration: 0,
      to: 'open',
      openForMs: 10,
      openings: 1,
    })
    expect(answer).not.toBeInstanceOf(Promise)
    expect(answer.state).toBe('open')
  })

  it('forgets everything on close', () => {
    const store = new MemoryStore({ clock: new FakeClock() })
    const seen: string[] = []
    store.subscribe('a', (s) => seen.push(s.state))
    store.close()
    store.transition('a', { fromGeneration: 0, to: 'open', openForMs: 10, openings: 1 })
    expect(seen).toEqual([])
  })
})
