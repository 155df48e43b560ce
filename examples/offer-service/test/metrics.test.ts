import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { getOffers, type Harness, startHarness } from './harness.ts'

let harness: Harness
beforeEach(async () => {
  harness = await startHarness()
})
afterEach(() => harness.close())

/** The value of one exposition line, e.g. `tripswitch_circuit_state{name="partner",state="open"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

describe('offer-service GET /metrics', () => {
  it('shows the partner circuit closed, then open with its refusals counted', async () => {
    let scrape = await harness.text('/metrics')
    expect(scrape.status).toBe(200)
    expect(scrape.contentType).toContain('text/plain')
    expect(sample(scrape.body, 'tripswitch_circuit_state{name="partner",state="closed"}')).toBe(1)

    harness.partner.failing = true
    await getOffers(harness, 3)
    await getOffers(harness, 2)
    scrape = await harness.text('/metrics')
    expect(sample(scrape.body, 'tripswitch_circuit_state{name="partner",state="open"}')).toBe(1)
    expect(sample(scrape.body, 'tripswitch_circuit_state{name="partner",state="closed"}')).toBe(0)
    expect(sample(scrape.body, 'tripswitch_calls_total{name="partner",kind="failed"}')).toBe(3)
    expect(sample(scrape.body, 'tripswitch_calls_total{name="partner",kind="not_permitted"}')).toBe(
      2,
    )
    expect(
      sample(scrape.body, 'tripswitch_transitions_total{name="partner",from="closed",to="open"}'),
    ).toBe(1)
  })
})
