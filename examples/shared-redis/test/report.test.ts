import { describe, expect, it } from 'vitest'
import { problemsWith, summarize } from '../src/report.ts'
import type { TimelineEntry } from '../src/timeline.ts'

const state = (worker: number, at: number, from: string, to: string) =>
  ({ type: 'state', worker, at, from, to }) as TimelineEntry
const call = (
  worker: number,
  at: number,
  outcome: 'success' | 'failure' | 'refused',
  probe = false,
) => ({ type: 'call', worker, at, outcome, probe, durationMs: 5 }) as TimelineEntry
const published = (at: number, s: 'open' | 'half_open' | 'closed', generation: number) =>
  ({ type: 'published', at, state: s, generation }) as TimelineEntry

// Two workers, start at t = 1000: both fail, worker 1 opens at +100, worker 2 sends one more
// call before it learns (+102) and opens at +104; worker 2 probes at +500 while worker 1 is
// refused; both close.
const RUN: TimelineEntry[] = [
  call(1, 1090, 'failure'),
  call(2, 1095, 'failure'),
  state(1, 1100, 'closed', 'open'),
  call(2, 1102, 'failure'),
  published(1103, 'open', 1),
  state(2, 1104, 'closed', 'open'),
  call(1, 1200, 'refused'),
  state(2, 1499, 'open', 'half_open'),
  call(2, 1500, 'success', true),
  state(1, 1501, 'open', 'half_open'),
  published(1501, 'half_open', 2),
  call(1, 1505, 'refused'),
  state(2, 1510, 'half_open', 'closed'),
  published(1511, 'closed', 3),
  state(1, 1512, 'half_open', 'closed'),
  call(1, 1600, 'success'),
]

describe('summarize', () => {
  const report = summarize(RUN, 1000, 2, [1050, 1500])

  it('measures when the first and the last worker saw each transition', () => {
    expect(report.transitions).toEqual([
      { from: 'closed', to: 'open', workers: 2, firstMs: 100, lastMs: 104, spreadMs: 4 },
      { from: 'open', to: 'half_open', workers: 2, firstMs: 499, lastMs: 501, spreadMs: 2 },
      { from: 'half_open', to: 'closed', workers: 2, firstMs: 510, lastMs: 512, spreadMs: 2 },
    ])
  })

  it('counts probes, refusals during half_open, calls and hits between trip and probe', () => {
    expect(report.published).toEqual({ open: 1, half_open: 1, closed: 1 })
    expect(report.probes).toEqual([{ worker: 2, atMs: 500, durationMs: 5, ok: true }])
    expect(report.refusedWhileHalfOpen).toBe(1)
    expect(report.callsSentWhileOpen).toBe(1)
    expect(report.upstreamHitsWhileOpen).toBe(0)
    expect(report.perWorker).toEqual([
      { worker: 1, succeeded: 1, failed: 1, refused: 2, failuresBeforeOpen: 1 },
      { worker: 2, succeeded: 1, failed: 2, refused: 0, failuresBeforeOpen: 2 },
    ])
    expect(problemsWith(report)).toEqual([])
  })

  it('names every broken promise', () => {
    const broken = summarize(
      [...RUN, published(1700, 'open', 4), call(1, 1800, 'success', true)],
      1000,
      3,
      [1300],
    )
    expect(problemsWith(broken)).toEqual([
      '2 of 3 workers saw closed -> open',
      '2 of 3 workers saw open -> half_open',
      '2 of 3 workers saw half_open -> closed',
      'Redis published 2 transitions to open',
      '2 probes were admitted fleet-wide, not 1',
      'the upstream got 1 requests while open',
    ])
  })
})
