import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { appWith, statusHandler } from './support.ts'

// A readiness probe must recover with no traffic: an unready pod gets no requests, so waiting
// for a request to move the circuit to half-open would keep it unready forever.

let app: FastifyInstance | undefined

afterEach(async () => {
  app?.server.closeAllConnections()
  await app?.close()
  app = undefined
})

describe('statusRoute as a readiness probe', () => {
  it('goes 503 when a circuit trips and back to 200 once resetTimeout has passed, with no request through the circuit', async () => {
    const setup = await appWith({ statusRoute: '/ready', threshold: 1, resetTimeout: 5_000 })
    app = setup.app
    setup.app.get('/svc', { preHandler: setup.app.circuitBreaker() }, statusHandler)
    const base = await setup.app.listen({ port: 0, host: '127.0.0.1' })
    expect((await fetch(`${base}/ready`)).status).toBe(200)

    expect((await fetch(`${base}/svc?status=500`)).status).toBe(503)
    const tripped = await fetch(`${base}/ready`)
    expect(tripped.status).toBe(503)
    expect(await tripped.json()).toMatchObject({ status: 'degraded', open: ['GET /svc'] })

    setup.clock.advance(4_999)
    expect((await fetch(`${base}/ready`)).status).toBe(503)
    setup.clock.advance(1)
    const recovered = await fetch(`${base}/ready`)
    expect(recovered.status).toBe(200)
    expect(await recovered.json()).toMatchObject({
      status: 'up',
      open: [],
      circuits: { 'GET /svc': { state: 'half_open' } },
    })
    const breaker = setup.app.circuitBreakers.get('GET /svc')
    expect(breaker.activeCalls).toBe(0)
    expect(breaker.snapshot().failures).toBe(1)
  })

  it('stays 503 while a circuit is forced open, however much time passes', async () => {
    const setup = await appWith({ statusRoute: '/ready' })
    app = setup.app
    const base = await setup.app.listen({ port: 0, host: '127.0.0.1' })
    setup.app.circuitBreakers.get('maintenance').forceOpen()
    expect((await fetch(`${base}/ready`)).status).toBe(503)
    setup.clock.advance(24 * 3_600_000)
    expect((await fetch(`${base}/ready`)).status).toBe(503)
  })
})
