import { afterEach, expect, it } from 'vitest'
import { HOT_OFFER, type Partner, startPartner } from '../src/partner.ts'

let partner: Partner | undefined
afterEach(() => partner?.close())

async function request(method: string, path: string) {
  const response = await fetch(`${partner!.url}${path}`, { method })
  return { status: response.status, body: await response.json() }
}

it('answers the hot offer, and 500 while switched to failing by POST /partner/fail', async () => {
  const lines: string[] = []
  partner = await startPartner({ port: 0, log: (l) => lines.push(l) })
  expect(partner.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  expect(await request('GET', '/offer')).toEqual({ status: 200, body: HOT_OFFER })

  expect(await request('POST', '/partner/fail')).toEqual({
    status: 200,
    body: { failing: true, offerRequests: 1 },
  })
  expect(await request('GET', '/offer')).toMatchObject({ status: 500 })

  expect(await request('POST', '/partner/recover')).toMatchObject({ body: { failing: false } })
  expect(await request('GET', '/offer')).toMatchObject({ status: 200 })
  expect(await request('GET', '/partner')).toEqual({
    status: 200,
    body: { failing: false, offerRequests: 3 },
  })
  expect(lines).toContain('[partner] switched to failing (500)')
  expect(lines).toContain('[partner] switched to healthy (200)')
})

it('starts failing when asked to (PARTNER_FAILING=true in main.ts)', async () => {
  partner = await startPartner({ port: 0, failing: true, log: () => {} })
  expect(await request('GET', '/offer')).toMatchObject({ status: 500 })
  expect(await request('GET', '/nowhere')).toMatchObject({ status: 404 })
})
