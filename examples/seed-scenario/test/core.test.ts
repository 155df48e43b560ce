import { FakeClock } from '@tripswitch/core/testing'
import { expect, it } from 'vitest'
import { runSeedScenario } from '../src/scenario.ts'

it('opens after 3 failures, refuses, probes after 6 s and closes when the upstream is back', async () => {
  const clock = new FakeClock(0)
  const lines: string[] = []
  const steps = await runSeedScenario({
    clock,
    wait: (ms) => clock.advance(ms),
    log: (l) => lines.push(l),
  })
  expect(steps.map((s) => [s.action, s.state])).toEqual([
    ['call 1', 'closed'],
    ['call 2', 'closed'],
    ['call 3', 'open'],
    ['call 4', 'open'],
    ['probe', 'closed'],
    ['call 5', 'closed'],
  ])
  expect(steps[2]?.retryAfterMs).toBe(6_000)
  expect(steps[3]?.outcome).toBe('refused: circuit open')
  expect(steps[4]?.outcome).toBe('upstream answered 200')
  expect(lines.at(-1)).toContain('upstream received 5 requests')
})
