import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { getOffers, type Harness, startHarness } from './harness.ts'

let harness: Harness
beforeEach(async () => {
  harness = await startHarness()
})
afterEach(() => harness.close())

/** `POST /circuits/api/circuits/partner/<action>` as the page sends it. */
async function act(action: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${harness.url}/circuits/api/circuits/partner/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tripswitch-action': '1' },
    body: '{}',
  })
  return { status: response.status, body: await response.json() }
}

describe('the offer service dashboard', () => {
  it('serves the status page under /circuits/', async () => {
    const { status, contentType, body } = await harness.text('/circuits/')
    expect(status).toBe(200)
    expect(contentType).toMatch(/^text\/html/)
    expect(body).toContain('<meta name="tripswitch-base" content="/circuits/">')
  })

  it('lists the partner circuit with its state as the breaker counts it', async () => {
    harness.partner.failing = true
    await getOffers(harness, 3)
    const { status, body } = await harness.get('/circuits/api/circuits')
    expect(status).toBe(200)
    expect(body).toMatchObject({
      canAct: true,
      circuits: [{ name: 'partner', state: 'open', totals: { calls: 3, failed: 3 } }],
    })
  })

  it('lets an operator on this machine force the circuit open, and logs who did it', async () => {
    expect(await act('open')).toEqual({
      status: 200,
      body: { name: 'partner', action: 'open', state: 'forced_open' },
    })
    expect(harness.service.breaker.state).toBe('forced_open')
    // Forced open, the service answers the cold offer without asking the partner.
    expect((await harness.get('/offer')).body).toMatchObject({ source: 'fallback' })
    expect(harness.partner.offerRequests).toBe(0)
    expect(await act('close')).toMatchObject({ status: 200, body: { state: 'closed' } })
    expect(harness.lines).toContain('[offer] dashboard: open "partner" by operator@127.0.0.1: done')
  })
})
