import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { wallTime } from './messages.ts'

/**
 * The flaky upstream every worker calls: a plain HTTP server on 127.0.0.1 that can be killed
 * (its port refuses connections) and restarted on the same port.
 */
export interface FlakyUpstream {
  /** e.g. `http://127.0.0.1:40123/`. */
  readonly url: string
  /** Wall times (see {@link wallTime}) of every request received. */
  readonly hits: readonly number[]
  /** Closes the listener and every open connection: calls are refused from now on. */
  kill(): Promise<void>
  /** Listens again on the same port. */
  restart(): Promise<void>
}

/**
 * Starts the upstream on a free port. After every (re)start its first answer takes
 * `coldStartMs`, like a service warming up; that keeps the half-open probe running long
 * enough for the other workers to be seen being refused meanwhile.
 */
export async function startFlakyUpstream(coldStartMs: number): Promise<FlakyUpstream> {
  const hits: number[] = []
  let warm = false
  const server: Server = createServer((_request, response) => {
    hits.push(wallTime())
    const delay = warm ? 0 : coldStartMs
    warm = true
    setTimeout(() => response.end('ok'), delay)
  })
  // Each worker makes a call every ~150 ms; without keep-alive each is a fresh connection, so
  // a killed upstream refuses the very next call instead of failing a pooled socket later.
  server.keepAliveTimeout = 0
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        warm = false
        resolve()
      })
    })
  await listen(0)
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    hits,
    kill: () =>
      new Promise<void>((resolve, reject) => {
        if (!server.listening) return resolve()
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
    restart: () => listen(port),
  }
}
