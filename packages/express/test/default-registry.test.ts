import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { attachCircuitBreaker } from '@tripswitch/axios'
import { defaultRegistry as coreDefault } from '@tripswitch/core'
import axios from 'axios'
import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { circuitBreaker, circuitStatus, defaultRegistry } from '../src/index.ts'
import { serve } from './helpers.ts'

// Without a registry, every adapter uses core's one default registry: a readiness handler given
// no registry sees the breakers of the app's outbound clients as well as its own routes'.

const made: string[] = []
afterEach(() => {
  for (const name of made.splice(0)) defaultRegistry().delete(name)
})

/** A real upstream that answers 503 to everything. */
async function failingUpstream(): Promise<string> {
  const server = createServer((_req, res) => {
    res.statusCode = 503
    res.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe('the default registry', () => {
  it("is core's, re-exported", () => {
    expect(defaultRegistry).toBe(coreDefault)
    expect(defaultRegistry()).toBe(defaultRegistry())
  })

  it('lets circuitStatus() with no registry report a breaker an axios instance with no registry opened', async () => {
    const origin = await failingUpstream()
    made.push(origin)
    const http = axios.create()
    attachCircuitBreaker(http, { errorThreshold: 1 })
    const app = express()
    app.get('/ready', circuitStatus())
    const served = await serve(app)
    const before = await served.fetch('/ready')
    expect(before.json).not.toMatchObject({ open: expect.arrayContaining([origin]) })

    await expect(http.get(`${origin}/quote`)).rejects.toMatchObject({ response: { status: 503 } })
    const after = await served.fetch('/ready')
    expect(after.status).toBe(503)
    expect(after.json).toMatchObject({
      status: 'degraded',
      open: expect.arrayContaining([origin]),
      circuits: { [origin]: { state: 'open', failures: 1 } },
    })
  })

  it('holds the breakers of a middleware given no registry, where axios finds them too', async () => {
    const app = express()
    const guard = circuitBreaker({ errorThreshold: 1 })
    app.get('/offer-default-registry', guard, (_req, res) => {
      res.sendStatus(500)
    })
    made.push('GET /offer-default-registry')
    const served = await serve(app)
    expect(guard.registry).toBe(defaultRegistry())
    expect((await served.fetch('/offer-default-registry')).status).toBe(500)
    expect(coreDefault().get('GET /offer-default-registry').state).toBe('open')
  })

  it('is not used when the middleware is given a store or a clock (a private registry)', async () => {
    const { FakeClock } = await import('@tripswitch/core/testing')
    expect(circuitBreaker({ clock: new FakeClock() }).registry).not.toBe(defaultRegistry())
  })
})
