import { createServer, STATUS_CODES } from 'node:http'
import type { AddressInfo } from 'node:net'

/** The status the upstream answers its `hit`-th request with (1 for the first). */
export type StatusOfHit = (hit: number) => number

/** A local HTTP server answering each request with the status its script gives. */
export interface Upstream {
  /** `host:port`, e.g. `127.0.0.1:40123`: what HTTP_CLIENT takes. */
  readonly hostPort: string
  /** Requests received so far. */
  readonly hits: number
  /** Stops the server, dropping open connections. */
  close(): Promise<void>
}

/** Starts an upstream on 127.0.0.1 and a free port. */
export async function startUpstream(statusOf: StatusOfHit): Promise<Upstream> {
  let hits = 0
  const server = createServer((_request, response) => {
    hits++
    const status = statusOf(hits)
    response.writeHead(status, { 'content-type': 'text/plain' })
    response.end(`${STATUS_CODES[status] ?? 'Unknown'}\n`)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  return {
    hostPort: `127.0.0.1:${port}`,
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

/** One phase of a {@link flakyCycle}: `requests` answers with `status`. */
export interface Phase {
  readonly status: number
  readonly requests: number
}

/**
 * The script of the upstream main.ts starts when HTTP_CLIENT is unset: healthy, then 500s,
 * healthy again, then 404s, repeating. Each failing phase is one request longer than the
 * threshold, so it opens the circuit and fails the first trial probe too (the circuit reopens)
 * before the upstream recovers. Counted in requests, not time: refused probes send nothing.
 */
export function flakyCycle(errorThreshold: number): Phase[] {
  return [
    { status: 200, requests: 3 },
    { status: 500, requests: errorThreshold + 1 },
    { status: 200, requests: 3 },
    { status: 404, requests: errorThreshold + 1 },
  ]
}

/** The {@link StatusOfHit} playing `phases` in a loop. */
export function playCycle(phases: readonly Phase[]): StatusOfHit {
  const length = phases.reduce((sum, phase) => sum + phase.requests, 0)
  return (hit) => {
    let position = (hit - 1) % length
    for (const phase of phases) {
      if (position < phase.requests) return phase.status
      position -= phase.requests
    }
    throw new Error('unreachable: position is below the cycle length')
  }
}

/** `3 × 200, 4 × 500, ...`: a cycle for the start-up message. */
export function describeCycle(phases: readonly Phase[]): string {
  return phases.map((phase) => `${phase.requests} × ${phase.status}`).join(', ')
}
