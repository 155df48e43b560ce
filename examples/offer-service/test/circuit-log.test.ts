import { CircuitBreaker } from '@tripswitch/core'
import { FakeClock } from '@tripswitch/core/testing'
import { expect, it } from 'vitest'
import { BREAKER_EVENTS, logEveryEvent } from '../src/circuit-log.ts'

it('subscribes to every event core declares', () => {
  expect([...BREAKER_EVENTS].sort()).toEqual(
    [
      'close',
      'failure',
      'fallback',
      'halfOpen',
      'open',
      'reject',
      'stateChange',
      'storeError',
      'success',
      'timeout',
    ].sort(),
  )
})

// The axios adapter never emits `timeout` or `fallback` (they belong to core's execute() with
// the `timeout` and `fallback` options), so the same listener is shown on a breaker that does.
it('logs timeout and fallback too, on a breaker whose execute() has them', async () => {
  const clock = new FakeClock(0)
  const breaker = new CircuitBreaker({
    name: 'partner',
    clock,
    timeout: 100,
    fallback: () => 'cold',
  })
  const lines: string[] = []
  const unsubscribe = logEveryEvent(breaker, (line) => lines.push(line))

  const call = breaker.execute(() => new Promise<string>(() => {}))
  clock.advance(100)
  expect(await call).toBe('cold')
  expect(lines).toEqual([
    '[circuit partner] timeout: call exceeded 100 ms',
    expect.stringMatching(/^\[circuit partner\] failure: call failed in 100 ms: /),
    expect.stringMatching(/^\[circuit partner\] fallback: fallback answered: /),
  ])

  unsubscribe()
  await breaker.execute(() => 'hot')
  expect(lines).toHaveLength(3)
})
