import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Both services bind to loopback only: this is a local walk-through, not a deployment. */
export const HOST = '127.0.0.1'

/** Listens on `HOST:port` and resolves with the base URL (the real port when `port` is 0). */
export function listen(server: Server, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, HOST, () => {
      server.off('error', reject)
      const { port: bound } = server.address() as AddressInfo
      resolve(`http://${HOST}:${bound}`)
    })
  })
}

/** Stops `server`, dropping idle keep-alive connections so that close() does not wait on them. */
export function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()))
    server.closeIdleConnections()
  })
}
