import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { close, listen } from './listen.ts'
import type { Log } from './log.ts'

/** The partner's answer while it is healthy. */
export interface HotOffer {
  readonly offer: 'hot'
  readonly product: string
  readonly discountPercent: number
  readonly validForSeconds: number
}

export const HOT_OFFER: HotOffer = {
  offer: 'hot',
  product: 'Weekend in Lisbon',
  discountPercent: 40,
  validForSeconds: 300,
}

export interface PartnerOptions {
  /** Port to listen on; 0 = any free port. */
  readonly port: number
  /** Start answering 500. @default false */
  readonly failing?: boolean
  readonly log: Log
}

/** The flaky upstream: `GET /offer` answers the hot offer, or 500 while switched to failing. */
export interface Partner {
  /** Base URL, e.g. `http://127.0.0.1:3001`. */
  readonly url: string
  /** True while `GET /offer` answers 500. */
  failing: boolean
  /** `GET /offer` requests received, so tests can prove an open circuit sends nothing. */
  readonly offerRequests: number
  close(): Promise<void>
}

/**
 * Starts the partner service on 127.0.0.1. Besides `GET /offer` it has the switch used in the
 * README walk-through: `POST /partner/fail` makes `GET /offer` answer 500, `POST /partner/recover`
 * makes it healthy again, `GET /partner` shows the current mode.
 */
export async function startPartner(options: PartnerOptions): Promise<Partner> {
  const { log } = options
  let failing = options.failing ?? false
  let offerRequests = 0

  const setFailing = (value: boolean): void => {
    if (value !== failing) log(`[partner] switched to ${value ? 'failing (500)' : 'healthy (200)'}`)
    failing = value
  }

  const server = createServer((req, res) => {
    const route = `${req.method} ${new URL(req.url ?? '/', 'http://partner').pathname}`
    switch (route) {
      case 'GET /offer':
        offerRequests++
        if (failing) return sendJson(res, 500, { error: 'partner failure (switched on)' })
        return sendJson(res, 200, HOT_OFFER)
      case 'POST /partner/fail':
        setFailing(true)
        return sendMode(res)
      case 'POST /partner/recover':
        setFailing(false)
        return sendMode(res)
      case 'GET /partner':
        return sendMode(res)
      default:
        return sendJson(res, 404, { error: `no route ${route}` })
    }
  })

  function sendMode(res: ServerResponse): void {
    sendJson(res, 200, { failing, offerRequests })
  }

  const url = await listen(server, options.port)
  log(`[partner] listening on ${url}, ${failing ? 'failing (500)' : 'healthy (200)'}`)
  return {
    url,
    get failing() {
      return failing
    },
    set failing(value: boolean) {
      setFailing(value)
    },
    get offerRequests() {
      return offerRequests
    },
    close: () => close(server),
  }
}

function sendJson(res: ServerResponse<IncomingMessage>, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}
