import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { attachCircuitBreaker } from '@tripswitch/axios'
import { defaultRegistry, MemoryStore } from '@tripswitch/core'
import axios from 'axios'
import Fastify from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import circuitBreaker from '../src/index.ts'
import { FakeClock } from './support.ts'

// Without a registry (nor cache, store or clock), the plugin uses core's default registry, the
// one every adapter given no registry shares: its status route sees outbound circuits too.

const cleanup: Array<() => unknown> = []
afterEach(async () => {
  for (const done of cleanup.splice(0)) await done()
})

/** A real upstream that answers 503 to everything. */
async function failingUpstream(): Promise<string> {
  const server = createServer((_req, res) => {
    res.statusCode = 503
    res.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  cleanup.push(() => defaultRegistry().delete(origin))
  return origin
}

describe('the default registry', () => {
  it('lets the status route report a breaker an axios instance with no registry opened', async () => {
    const origin = await failingUpstream()
    const http = axios.create()
    attachCircuitBreaker(http, { errorThreshold: 1 })
    const app = Fastify()
    cleanup.push(() => app.close())
    await app.register(circuitBreaker, { statusRoute: '/ready' })
    const base = await app.listen({ port: 0, host: '127.0.0.1' })
    expect(app.circuitBreakers).toBe(defaultRegistry())
    const before = (await (await fetch(`${base}/ready`)).json()) as { open: string[] }
    expect(before.open).not.toContain(origin)

    await expect(http.get(`${origin}/quote`)).rejects.toMatchObject({ response: { status: 503 } })
    const after = await fetch(`${base}/ready`)
    expect(after.status).toBe(503)
    expect(await after.json()).toMatchObject({
      status: 'degraded',
      open: expect.arrayContaining([origin]),
      circuits: { [origin]: { state: 'open' } },
    })
  })

  it.each([
    ['cache', { cache: 10 }],
    ['store', { store: new MemoryStore() }],
    ['clock', { clock: new FakeClock() }],
  ] as const)('is not used when %s asks for a private registry', async (_label, options) => {
    const app = Fastify()
    cleanup.push(() => app.close())
    await app.register(circuitBreaker, options)
    expect(app.circuitBreakers).not.toBe(defaultRegistry())
  })
})
