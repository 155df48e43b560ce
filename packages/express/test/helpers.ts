import type { AddressInfo } from 'node:net'
import { CircuitBreakerRegistry, type CircuitBreakerRegistryOptions } from '@tripswitch/core'
import { FakeClock } from '@tripswitch/core/testing'
import express, { type Express } from 'express'
import { afterEach } from 'vitest'
import { express4 } from './express4-app.ts'

/** The `express` export of one Express major, typed as Express 5's (the API both share). */
export type ExpressModule = typeof express

/** An Express major the adapter supports: the shared scenarios run once per entry. */
export interface ExpressVersion {
  readonly version: string
  readonly express: ExpressModule
  /** `Allow` of Express's automatic OPTIONS answer for a GET route (no space before 5). */
  readonly allowGetHead: string
}

/** Express 5 (the `express` devDependency) and Express 4 (the `express4` alias). */
export const expressVersions: readonly ExpressVersion[] = [
  { version: 'Express 5', express, allowGetHead: 'GET, HEAD' },
  { version: 'Express 4', express: express4, allowGetHead: 'GET,HEAD' },
]

/** A running app: `fetch` relative to its base URL. */
export interface Served {
  readonly base: string
  fetch(path: string, init?: RequestInit): Promise<Answer>
}

/** A response read in full. */
export interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  /** The body parsed as JSON (undefined when it is not JSON). */
  readonly json: unknown
}

const running: Array<() => Promise<void>> = []

afterEach(async () => {
  await Promise.all(running.splice(0).map((close) => close()))
})

/** Listens on 127.0.0.1, port 0; closed after the test. */
export async function serve(app: Express): Promise<Served> {
  const server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  running.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { base, fetch: (path, init) => read(fetch(base + path, init)) }
}

async function read(pending: Promise<Response>): Promise<Answer> {
  const response = await pending
  const text = await response.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, text, json }
}

/** A registry whose breakers run on a fake clock. */
export function fakeRegistry(options: Omit<CircuitBreakerRegistryOptions, 'clock'> = {}): {
  clock: FakeClock
  registry: CircuitBreakerRegistry
} {
  const clock = new FakeClock(1_000_000)
  return { clock, registry: new CircuitBreakerRegistry({ ...options, clock }) }
}

/** A promise with its resolve function outside. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

/** Sends `count` requests one after another; returns their statuses. */
export async function statuses(served: Served, path: string, count: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < count; i++) out.push((await served.fetch(path)).status)
  return out
}
