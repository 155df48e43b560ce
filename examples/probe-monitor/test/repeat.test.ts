import { FakeClock } from '@tripswitch/core/testing'
import { expect, it } from 'vitest'
import { repeat, type Timers } from '../src/repeat.ts'

// Lets the task's promise settle, so that the loop arms its next timer.
const settled = () => new Promise<void>((resolve) => setImmediate(resolve))

function counting() {
  const runs: number[] = []
  return { runs, task: (clock: FakeClock) => async () => void runs.push(clock.now()) }
}

it('runs at once, then one interval after each run ends, until stopped', async () => {
  const clock = new FakeClock(0)
  const { runs, task } = counting()
  const repeater = repeat(task(clock), 50, { clock, timers: clock })
  expect(runs).toEqual([0])
  await settled()
  clock.advance(49)
  expect(runs).toEqual([0])
  clock.advance(1)
  await settled()
  clock.advance(50)
  expect(runs).toEqual([0, 50, 100])
  await repeater.stop()
  clock.advance(500)
  expect(runs).toEqual([0, 50, 100])
  expect(clock.pendingTimers).toBe(0)
})

it('re-arms a timer that fires before the interval has passed on the clock', async () => {
  const clock = new FakeClock(0)
  let early = 0
  // Timers that fire a millisecond early, as Node's can against Date.now().
  const earlyTimers: Timers = {
    setTimeout: (callback, ms) => {
      if (ms > 1) early++
      return clock.setTimeout(callback, ms > 1 ? ms - 1 : ms)
    },
    clearTimeout: (handle) => clock.clearTimeout(handle),
  }
  const { runs, task } = counting()
  const repeater = repeat(task(clock), 50, { clock, timers: earlyTimers })
  await settled()
  clock.advance(49)
  expect(early).toBe(1)
  expect(runs).toEqual([0])
  clock.advance(1)
  expect(runs).toEqual([0, 50])
  await repeater.stop()
})

it('does not start a run after stop(), even when the run in progress ends later', async () => {
  const clock = new FakeClock(0)
  let finish: () => void = () => {}
  let runs = 0
  const repeater = repeat(
    () => {
      runs++
      return new Promise<void>((resolve) => {
        finish = resolve
      })
    },
    50,
    { clock, timers: clock },
  )
  const stopped = repeater.stop()
  finish()
  await stopped
  clock.advance(500)
  expect(runs).toBe(1)
  expect(clock.pendingTimers).toBe(0)
})
