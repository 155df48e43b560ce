import { createServer } from 'node:http'
import { FakeClock } from '@tripswitch/core/testing'
import { close, listen } from '../src/listen.ts'
import { createOfferService, type OfferService } from '../src/offer-service.ts'
import { type Partner, startPartner } from '../src/partner.ts'

/** Both services on real sockets (free ports on 127.0.0.1), the breaker on a FakeClock. */
export interface Harness {
  readonly partner: Partner
  readonly service: OfferService
  readonly clock: FakeClock
  /** Every line the services logged, in order. */
  readonly lines: string[]
  /** Base URL of the offer service, e.g. `http://127.0.0.1:41234`. */
  readonly url: string
  /** GET on the offer service; resolves with the status and the parsed JSON body. */
  get(path: string): Promise<{ status: number; body: unknown }>
  /** `GET path`, the body as text. */
  text(path: string): Promise<{ status: number; contentType: string | null; body: string }>
  close(): Promise<void>
}

export async function startHarness(): Promise<Harness> {
  const lines: string[] = []
  const log = (line: string) => lines.push(line)
  const clock = new FakeClock(0)
  const partner = await startPartner({ port: 0, log })
  const service = createOfferService({ partnerUrl: partner.url, clock, log })
  const server = createServer(service.app)
  const url = await listen(server, 0)
  return {
    partner,
    service,
    clock,
    lines,
    url,
    get: async (path) => {
      const response = await fetch(`${url}${path}`)
      return { status: response.status, body: await response.json() }
    },
    text: async (path) => {
      const response = await fetch(`${url}${path}`)
      const contentType = response.headers.get('content-type')
      return { status: response.status, contentType, body: await response.text() }
    },
    close: async () => {
      service.dashboard.close()
      await Promise.all([close(server), partner.close()])
    },
  }
}

/** Calls `GET /offer` `times` times, one after the other. */
export async function getOffers(harness: Harness, times: number): Promise<unknown[]> {
  const bodies: unknown[] = []
  for (let i = 0; i < times; i++) bodies.push((await harness.get('/offer')).body)
  return bodies
}
