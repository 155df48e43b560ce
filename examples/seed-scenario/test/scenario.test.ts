import { CircuitBreakerRegistry } from '@tripswitch/core'
import { FakeClock } from '@tripswitch/core/testing'
import { beforeAll, describe, expect, it } from 'vitest'
import { runSeedScenario, type ScenarioReport } from '../src/scenario.ts'
import type { Variant } from '../src/variant.ts'
import { loadVariant, VARIANT_NAMES } from '../src/variants.ts'

// Every variant runs the whole scenario once, for real: a real upstream, real servers, real
// sockets. Only time is fake: the FakeClock is every breaker's clock, and the scenario's wait
// moves it by 6 s instead of sleeping, so a variant takes milliseconds.
describe.each(VARIANT_NAMES)('the seed scenario with %s', (name) => {
  const clock = new FakeClock(1_000_000)
  const lines: string[] = []
  let report: ScenarioReport

  beforeAll(async () => {
    report = await runSeedScenario(await loadVariant(name), {
      clock,
      wait: (ms) => clock.advance(ms),
      log: (line) => lines.push(line),
    })
  })

  const callLines = () => lines.filter((line) => /^call \d+ /.test(line))

  it('opens the circuit after exactly 3 failures that reached the upstream', () => {
    const firstThree = report.steps.slice(0, 3)
    expect(firstThree.map((s) => [s.outcome, s.reachedUpstream, s.state])).toEqual([
      ['failed', true, 'closed'],
      ['failed', true, 'closed'],
      ['failed', true, 'open'],
    ])
    expect(report.steps[2]?.retryAfterMs).toBe(6_000)
  })

  it('refuses the call made while open without reaching the upstream', () => {
    expect(report.steps[3]).toMatchObject({
      outcome: 'refused',
      reachedUpstream: false,
      upstreamOn: false,
      state: 'open',
      retryAfterMs: 6_000,
    })
  })

  it('lets a probe through 6 s later, which closes the circuit once the upstream is on', () => {
    expect(report.waitedMs).toBe(6_000)
    expect(report.steps[4]).toMatchObject({
      outcome: 'succeeded',
      reachedUpstream: true,
      upstreamOn: true,
      state: 'closed',
      retryAfterMs: 0,
    })
    expect(report.transitions).toEqual([
      { from: 'closed', to: 'open' },
      { from: 'open', to: 'half_open' },
      { from: 'half_open', to: 'closed' },
    ])
  })

  it('serves 10 more calls with the circuit closed', () => {
    const afterProbe = report.steps.slice(5)
    expect(afterProbe).toHaveLength(10)
    for (const step of afterProbe) {
      expect(step).toMatchObject({ outcome: 'succeeded', reachedUpstream: true, state: 'closed' })
    }
  })

  it('prints the circuit state and the time till the probe for every call', () => {
    const printed = callLines()
    expect(printed).toHaveLength(15)
    for (const line of printed) {
      expect(line).toMatch(/circuit state: (closed|open)\. Time till probe: \d+\.\d$/)
    }
    expect(printed[1]).toMatch(/^call 2 .*circuit state: closed\. Time till probe: 0\.0$/)
    expect(printed[2]).toMatch(/^call 3 .*circuit state: open\. Time till probe: 6\.0$/)
    expect(printed[3]).toMatch(/^call 4 .*refused.*circuit state: open\. Time till probe: 6\.0$/)
    expect(printed[4]).toMatch(
      /^call 5 .*succeeded.*circuit state: closed\. Time till probe: 0\.0$/,
    )
    expect(lines).toContain('  3.0 s waited, circuit state: open. Time till probe: 3.0')
  })

  it('sent the upstream every call but the refused one', () => {
    expect(report.upstreamHits).toBe(14)
    expect(lines.at(-1)).toBe(
      'summary: 15 calls, 3 failed, 1 refused, 11 succeeded; the upstream received 14 requests ' +
        '(15 calls minus the 1 refused)',
    )
  })
})

describe('the seed scenario driver', () => {
  it('fails loudly, and closes what it started, when the circuit never opens', async () => {
    let closed = false
    const neverOpens: Variant = {
      description: 'a guard that never trips',
      start: async () => ({
        call: async () => ({ ok: false, answer: 'HTTP 502' }),
        circuit: () => ({ state: 'closed', retryAfterMs: 0 }),
        onTransition: () => {},
        registry: new CircuitBreakerRegistry(),
        close: async () => {
          closed = true
        },
      }),
    }
    const io = { clock: new FakeClock(), wait: () => {}, log: () => {} }
    await expect(runSeedScenario(neverOpens, io)).rejects.toThrow(
      'the circuit did not open after 5 failures',
    )
    expect(closed).toBe(true)
  })
})
