import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { freePort } from './redis-server.ts'

/** How the proxy treats traffic. */
export type Fault = 'none' | 'blackhole' | 'reset' | { latencyMs: number }

/** A TCP proxy in front of Redis that can hold back, reset or delay traffic. */
export interface FaultProxy {
  readonly port: number
  set(fault: Fault): void
  close(): Promise<void>
}

export async function startProxy(target: number): Promise<FaultProxy> {
  const port = await freePort()
  let fault: Fault = 'none'
  const pairs = new Set<[Socket, Socket]>()
  // A blackhole holds bytes back (as a dead path does to TCP, which retransmits) and delivers
  // them in order when the path comes back.
  let held: Array<() => void> = []
  const forward = (from: Socket, to: Socket) =>
    from.on('data', (chunk: Buffer) => {
      if (fault === 'blackhole') held.push(() => to.write(chunk))
      else if (typeof fault === 'object') setTimeout(() => to.write(chunk), fault.latencyMs)
      else to.write(chunk)
    })
  const server: Server = createServer((client) => {
    if (fault === 'reset') return client.resetAndDestroy()
    const upstream = createConnection({ port: target, host: '127.0.0.1' })
    const pair: [Socket, Socket] = [client, upstream]
    pairs.add(pair)
    const drop = () => {
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    for (const s of pair) s.on('error', drop).on('close', drop)
    forward(client, upstream)
    forward(upstream, client)
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    port,
    set(next) {
      fault = next
      if (next !== 'blackhole') {
        for (const write of held) write()
        held = []
      }
      if (next === 'reset') for (const [client] of pairs) client.resetAndDestroy()
    },
    close: () =>
      new Promise((resolve) => {
        for (const [a, b] of pairs) {
          a.destroy()
          b.destroy()
        }
        server.close(() => resolve())
      }),
  }
}
