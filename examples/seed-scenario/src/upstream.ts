import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A local HTTP upstream that can be switched off (answers 503) and on (answers 200). */
export interface FlakyUpstream {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string
  /** Switches the upstream on (healthy) or off (every request fails with 503). */
  setUp(up: boolean): void
  /** Whether the upstream is on. */
  readonly isUp: boolean
  /** Requests the upstream has received. */
  readonly hits: number
  /** Stops the server. */
  close(): Promise<void>
}

/** Starts a flaky upstream on 127.0.0.1 and a free port. */
export async function startFlakyUpstream(): Promise<FlakyUpstream> {
  let up = false
  let hits = 0
  const server = createServer((_req, res) => {
    hits++
    res.statusCode = up ? 200 : 503
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify(up ? { offer: 'fresh offer' } : { error: 'upstream is down' }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    setUp: (value) => {
      up = value
    },
    get isUp() {
      return up
    },
    get hits() {
      return hits
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
