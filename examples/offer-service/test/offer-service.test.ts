import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HOT_OFFER } from '../src/partner.ts'
import { getOffers, type Harness, startHarness } from './harness.ts'

const HOT = { ...HOT_OFFER, source: 'partner' }
const COLD = { offer: 'cold', source: 'fallback' }

let harness: Harness
beforeEach(async () => {
  harness = await startHarness()
})
afterEach(() => harness.close())

/** Switches the partner to 500 and makes the 3 failing calls that open the circuit. */
async function tripCircuit(): Promise<void> {
  harness.partner.failing = true
  await getOffers(harness, 3)
}

describe('offer-service', () => {
  it('serves the hot offer from the partner while it is healthy', async () => {
    expect(await harness.get('/offer')).toEqual({ status: 200, body: HOT })
    expect((await harness.get('/offer/circuit')).body).toEqual({
      current_state: 'closed',
      fail_counter: 0,
    })
    expect(harness.partner.offerRequests).toBe(1)
  })

  it('answers the cold offer for a failed call while still closed, and counts the failure', async () => {
    harness.partner.failing = true
    const { status, body } = await harness.get('/offer')
    expect(status).toBe(200)
    expect(body).toMatchObject({ ...COLD, reason: 'partner answered 500' })
    expect((await harness.get('/offer/circuit')).body).toEqual({
      current_state: 'closed',
      fail_counter: 1,
    })
  })

  it('a success resets the fail counter', async () => {
    harness.partner.failing = true
    await getOffers(harness, 2)
    harness.partner.failing = false
    expect(await getOffers(harness, 1)).toEqual([HOT])
    expect((await harness.get('/offer/circuit')).body).toMatchObject({ fail_counter: 0 })
  })

  it('opens after 3 failures; while open the fallback answers and the partner is not called', async () => {
    await tripCircuit()
    expect((await harness.get('/offer/circuit')).body).toEqual({
      current_state: 'open',
      fail_counter: 3,
    })
    const before = harness.partner.offerRequests
    const answers = await getOffers(harness, 5)
    for (const answer of answers)
      expect(answer).toMatchObject({ ...COLD, reason: 'circuit open, probe in 15 s' })
    expect(harness.partner.offerRequests).toBe(before)
    // Still refused one millisecond before the 15 s are up.
    harness.clock.advance(14_999)
    expect(await harness.get('/offer')).toMatchObject({ body: { ...COLD, reason: /probe in 1 s/ } })
    expect(harness.partner.offerRequests).toBe(before)
  })

  it('after 15 s a probe reaches the recovered partner and closes the circuit', async () => {
    await tripCircuit()
    harness.partner.failing = false
    harness.clock.advance(15_000)
    const before = harness.partner.offerRequests
    expect(await harness.get('/offer')).toEqual({ status: 200, body: HOT })
    expect(harness.partner.offerRequests).toBe(before + 1)
    expect((await harness.get('/offer/circuit')).body).toEqual({
      current_state: 'closed',
      fail_counter: 0,
    })
    expect(await getOffers(harness, 2)).toEqual([HOT, HOT])
  })

  it('a failed probe opens the circuit for another 15 s', async () => {
    await tripCircuit()
    harness.clock.advance(15_000)
    expect(await harness.get('/offer')).toMatchObject({
      body: { ...COLD, reason: 'partner answered 500' },
    })
    expect((await harness.get('/offer/circuit')).body).toMatchObject({ current_state: 'open' })
    harness.clock.advance(14_999)
    expect(await harness.get('/offer')).toMatchObject({ body: { reason: /circuit open/ } })
  })

  it('GET /ready answers 200 while closed and 503 with the open circuit named while open', async () => {
    expect(await harness.get('/ready')).toMatchObject({ status: 200, body: { status: 'up' } })
    await tripCircuit()
    expect(await harness.get('/ready')).toMatchObject({
      status: 503,
      body: { status: 'degraded', open: ['partner'] },
    })
  })

  it('logs one line per breaker event, and one per cold offer served', async () => {
    await getOffers(harness, 1)
    await tripCircuit()
    await getOffers(harness, 1)
    harness.partner.failing = false
    harness.clock.advance(15_000)
    await getOffers(harness, 1)

    const breakerEvents = harness.lines
      .map((line) => /^\[circuit partner\] (\w+): /.exec(line)?.[1])
      .filter((event) => event !== undefined)
    expect(breakerEvents).toEqual([
      'success',
      'failure',
      'failure',
      'failure',
      'stateChange',
      'open',
      'reject',
      'stateChange',
      'halfOpen',
      'success',
      'stateChange',
      'close',
    ])
    expect(harness.lines).toContain('[circuit partner] stateChange: closed -> open')
    expect(harness.lines).toContain('[circuit partner] open: probe allowed in 15000 ms')
    expect(harness.lines).toContain('[circuit partner] stateChange: half_open -> closed')
    expect(
      harness.lines.filter((l) => l.startsWith('[offer] cold offer from the fallback')),
    ).toEqual([
      '[offer] cold offer from the fallback: partner answered 500',
      '[offer] cold offer from the fallback: partner answered 500',
      '[offer] cold offer from the fallback: partner answered 500',
      '[offer] cold offer from the fallback: circuit open, probe in 15 s',
    ])
  })
})
