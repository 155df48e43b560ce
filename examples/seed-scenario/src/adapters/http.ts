import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { CallAnswer } from '../variant.ts'

/** What the offer route's handler got from the upstream. */
export interface UpstreamAnswer {
  readonly ok: boolean
  readonly status: number
  readonly body: unknown
}

/** The offer route's real work: one request to the flaky upstream. */
export async function fetchFromUpstream(upstreamUrl: string): Promise<UpstreamAnswer> {
  const response = await fetch(upstreamUrl)
  return { ok: response.ok, status: response.status, body: await response.json() }
}

/**
 * The scenario's client of the guarded server: `GET <baseUrl>/offer` over a real socket. An
 * answer carrying an error `code` (the adapters' open-circuit bodies do) shows that code.
 */
export async function getOffer(baseUrl: string): Promise<CallAnswer> {
  const response = await fetch(`${baseUrl}/offer`)
  const body = (await response.json()) as { code?: unknown }
  const code = typeof body.code === 'string' ? ` ${body.code}` : ''
  return { ok: response.ok, answer: `HTTP ${response.status}${code}` }
}

/** The base URL of a listening server, e.g. `http://127.0.0.1:40123`. */
export function baseUrlOf(server: Server): string {
  const { address, port } = server.address() as AddressInfo
  return `http://${address}:${port}`
}

/**
 * Closes `server` once the scenario is over. Every call has been answered by then, so the
 * remaining connections are idle keep-alive sockets of the client, which would hold it open.
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()))
    server.closeAllConnections()
  })
}
