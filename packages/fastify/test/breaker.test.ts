import type { Clock } from '@tripswitch/core'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import circuitBreaker from '../src/index.ts'
import { appWith, deferred, hit, OPEN_BODY, statusHandler, TIMEOUT_BODY } from './support.ts'

class HttpError extends Error {
  constructor(readonly statusCode: number) {
    super(`status ${statusCode}`)
  }
}

describe('tripping', () => {
  it('opens at the threshold and answers the tripping request Circuit open', async () => {
    const { app } = await appWith({ threshold: 3 })
    app.get('/', { preHandler: app.circuitBreaker() }, statusHandler)
    expect(await hit(app, '/?status=500', 2)).toEqual([500, 500])
    expect(app.circuitBreakers.get('GET /').state).toBe('closed')
    const tripping = await app.inject('/?status=500')
    expect(tripping.json()).toEqual(OPEN_BODY)
    expect(app.circuitBreakers.get('GET /').state).toBe('open')
  })

  it('keeps routes isolated: one open circuit does not touch another route', async () => {
    const { app } = await appWith({ threshold: 2 })
    app.get('/a', { preHandler: app.circuitBreaker() }, statusHandler)
    app.get('/b', { preHandler: app.circuitBreaker() }, statusHandler)
    app.get('/users/:id', { config: { circuitBreaker: {} } }, statusHandler)
    await hit(app, '/a?status=500', 2)
    await hit(app, '/users/1?status=500', 1)
    expect(await hit(app, '/a')).toEqual([503])
    expect(await hit(app, '/b?status=500')).toEqual([500])
    expect(await hit(app, '/b')).toEqual([200])
    // Every id of /users/:id is one route, one circuit: the second failure trips it.
    expect(await hit(app, '/users/2?status=500')).toEqual([503])
    expect(await hit(app, '/users/3')).toEqual([503])
  })

  it('never trips on 4xx replies', async () => {
    const { app } = await appWith({ threshold: 1 })
    app.get('/', { preHandler: app.circuitBreaker() }, statusHandler)
    expect(await hit(app, '/?status=404', 3)).toEqual([404, 404, 404])
    expect(await hit(app, '/?status=429', 2)).toEqual([429, 429])
    expect(await hit(app, '/?status=400')).toEqual([400])
    expect(app.circuitBreakers.get('GET /').state).toBe('closed')
  })

  it('classifies thrown errors by their statusCode; an error without one is a 500', async () => {
    const { app } = await appWith({ threshold: 2 })
    let error: Error = new HttpError(404)
    app.get('/', { preHandler: app.circuitBreaker() }, async () => {
      throw error
    })
    expect(await hit(app, '/', 3)).toEqual([404, 404, 404])
    error = new HttpError(502)
    expect(await hit(app, '/')).toEqual([502])
    error = new Error('boom')
    const tripping = await app.inject('/')
    expect(tripping.statusCode).toBe(503)
    expect(tripping.json()).toEqual(OPEN_BODY)
  })
})

describe('detectError and key', () => {
  it('detectError classifies replies instead of the status, and sees the thrown error', async () => {
    const { app } = await appWith({ threshold: 2 })
    const seen: Array<{ statusCode: number | undefined; error: unknown }> = []
    const detectError = ({
      statusCode,
      error,
    }: {
      statusCode: number | undefined
      error: unknown
    }) => {
      seen.push({ statusCode, error: (error as Error | undefined)?.message })
      return statusCode === 429
    }
    app.get('/', { preHandler: app.circuitBreaker({ detectError }) }, async (request, reply) => {
      if ((request.query as { throw?: string }).throw) throw new HttpError(400)
      return statusHandler(request, reply)
    })
    expect(await hit(app, '/?status=500', 3)).toEqual([500, 500, 500])
    expect(await hit(app, '/?throw=1')).toEqual([400])
    expect(await hit(app, '/?status=429')).toEqual([429])
    expect(await hit(app, '/?status=429')).toEqual([503])
    expect(seen[3]).toEqual({ statusCode: 400, error: 'status 400' })
    expect(seen[0]).toEqual({ statusCode: 500, error: undefined })
  })

  it('key names the breaker per request, through the registry', async () => {
    const { app } = await appWith({ threshold: 1 })
    const key = (request: { headers: Record<string, unknown> }) =>
      `tenant:${String(request.headers['x-tenant'])}`
    app.get('/', { preHandler: app.circuitBreaker({ key }) }, statusHandler)
    const as = (tenant: string, status = 200) =>
      app.inject({ url: `/?status=${status}`, headers: { 'x-tenant': tenant } })
    expect((await as('a', 500)).statusCode).toBe(503)
    expect((await as('a')).statusCode).toBe(503)
    expect((await as('b')).statusCode).toBe(200)
    expect(app.circuitBreakers.has('GET /')).toBe(false)
    expect(app.circuitBreakers.get('tenant:a').state).toBe('open')
    expect(app.circuitBreakers.get('tenant:b').state).toBe('closed')
  })
})

describe('half-open', () => {
  async function trippedApp() {
    const { app, clock } = await appWith({ threshold: 1, resetTimeout: 1_000 })
    let status = 500
    const gate = { wait: Promise.resolve(), entered: deferred() }
    app.get('/', { preHandler: app.circuitBreaker() }, async (_request, reply) => {
      gate.entered.resolve()
      await gate.wait
      return reply.code(status).send({ status })
    })
    await hit(app, '/')
    return { app, clock, gate, setStatus: (s: number) => (status = s) }
  }

  it('a successful probe closes the circuit', async () => {
    const { app, clock, setStatus } = await trippedApp()
    expect(await hit(app, '/')).toEqual([503])
    clock.advance(1_000)
    setStatus(200)
    expect(await hit(app, '/', 3)).toEqual([200, 200, 200])
    expect(app.circuitBreakers.get('GET /').state).toBe('closed')
  })

  it('a failed probe passes its own 5xx through and reopens', async () => {
    const { app, clock, setStatus } = await trippedApp()
    clock.advance(1_000)
    setStatus(502)
    const probe = await app.inject('/')
    expect(probe.statusCode).toBe(502)
    expect(probe.json()).toEqual({ status: 502 })
    expect(app.circuitBreakers.get('GET /').state).toBe('open')
    expect((await app.inject('/')).json()).toEqual(OPEN_BODY)
    clock.advance(999)
    expect(await hit(app, '/')).toEqual([503])
    clock.advance(1)
    setStatus(200)
    expect(await hit(app, '/')).toEqual([200])
  })

  it('refuses other requests with Circuit open while the probe runs', async () => {
    const { app, clock, gate, setStatus } = await trippedApp()
    clock.advance(1_000)
    setStatus(200)
    const release = deferred()
    gate.wait = release.promise
    gate.entered = deferred()
    // inject() starts a request only once awaited; wait until the probe is in its handler.
    const probe = app.inject('/').then((response) => response)
    await gate.entered.promise
    const others = await Promise.all([app.inject('/'), app.inject('/'), app.inject('/')])
    for (const other of others) {
      expect(other.statusCode).toBe(503)
      expect(other.json()).toEqual(OPEN_BODY)
      expect(other.headers['retry-after']).toBe('1')
    }
    release.resolve()
    expect((await probe).statusCode).toBe(200)
    expect(await hit(app, '/', 2)).toEqual([200, 200])
  })
})

describe('timeout', () => {
  it('answers a handler slower than timeout 503 when the time is up, and counts a failure', async () => {
    const { app, clock } = await appWith({ threshold: 2, timeout: 500 })
    const release = deferred()
    const entered = deferred()
    app.get('/', { preHandler: app.circuitBreaker() }, async () => {
      entered.resolve()
      await release.promise
      return 'late'
    })
    const pending = app.inject('/')
    await entered.promise
    clock.advance(500)
    const answer = await pending
    expect(answer.statusCode).toBe(503)
    expect(answer.json()).toEqual(TIMEOUT_BODY)
    expect(answer.headers['cache-control']).toBe('no-store')
    expect(answer.headers['retry-after']).toBeUndefined()
    release.resolve()
    expect(app.circuitBreakers.get('GET /').snapshot().consecutiveFailures).toBe(1)
  })

  it('a timeout that trips the circuit still answers Timeout; the next request gets Circuit open', async () => {
    const { app, clock } = await appWith({ threshold: 1, timeout: 500 })
    const release = deferred()
    const entered = deferred()
    app.get('/', { preHandler: app.circuitBreaker() }, async () => {
      entered.resolve()
      await release.promise
      return 'late'
    })
    const pending = app.inject('/')
    await entered.promise
    clock.advance(500)
    expect((await pending).json()).toEqual(TIMEOUT_BODY)
    release.resolve()
    expect((await app.inject('/')).json()).toEqual(OPEN_BODY)
  })

  it('a handler that blocks past timeout and answers in one go is replaced by the timeout answer', async () => {
    let now = 0
    // No setTimeout on this clock: the plugin falls back to an unref'd real timer that never
    // gets to run, so only the check at onSend can see the timeout.
    const clock: Clock = { now: () => now }
    const app = Fastify()
    await app.register(circuitBreaker, { clock, timeout: 100, threshold: 1 })
    app.get('/', { preHandler: app.circuitBreaker() }, (_request, reply) => {
      now += 100
      reply.send({ ok: true })
    })
    const answer = await app.inject('/')
    expect(answer.statusCode).toBe(503)
    expect(answer.json()).toEqual(TIMEOUT_BODY)
    expect(app.circuitBreakers.get('GET /').state).toBe('open')
  })

  it('a hijacked reply answers for itself: its timeout counts nothing and frees the permit', async () => {
    const { app, clock } = await appWith({ threshold: 1, timeout: 100 })
    app.get('/', { preHandler: app.circuitBreaker() }, (_request, reply) => {
      reply.hijack()
      reply.raw.writeHead(500).end('raw')
    })
    expect((await app.inject('/')).body).toBe('raw')
    const breaker = app.circuitBreakers.get('GET /')
    expect(breaker.activeCalls).toBe(1)
    clock.advance(100)
    expect(breaker.activeCalls).toBe(0)
    expect(breaker.state).toBe('closed')
  })

  it('fast handlers leave one idle timer at most, which runs out counting nothing', async () => {
    const { app, clock } = await appWith()
    app.get('/', { preHandler: app.circuitBreaker() }, statusHandler)
    await hit(app, '/', 3)
    // One timer serves the circuit's deadlines; it is left to run out rather than re-armed.
    expect(clock.pendingTimers).toBeLessThanOrEqual(1)
    clock.advance(10_000)
    expect(clock.pendingTimers).toBe(0)
    const { totals } = app.circuitBreakers.get('GET /').snapshot()
    expect(totals.successful).toBe(3)
    expect(totals.timeouts).toBe(0)
    expect(totals.failed).toBe(0)
  })

  it('requests arriving one after another each time out at their own deadline', async () => {
    const { app, clock } = await appWith({ timeout: 100, threshold: 10 })
    const release = deferred()
    app.get('/', { preHandler: app.circuitBreaker() }, async () => {
      await release.promise
      return { late: true }
    })
    const first = app.inject('/')
    await new Promise((resolve) => setImmediate(resolve))
    clock.advance(60)
    const second = app.inject('/')
    await new Promise((resolve) => setImmediate(resolve))
    clock.advance(40)
    expect((await first).statusCode).toBe(503)
    const breaker = app.circuitBreakers.get('GET /')
    expect(breaker.snapshot().totals.timeouts).toBe(1)
    clock.advance(59)
    expect(breaker.snapshot().totals.timeouts).toBe(1)
    clock.advance(1)
    expect((await second).json()).toEqual(TIMEOUT_BODY)
    expect(breaker.snapshot().totals.timeouts).toBe(2)
    release.resolve()
  })
})

describe('Retry-After and Cache-Control', () => {
  it('counts whole seconds, rounded up, down to the probe', async () => {
    const { app, clock } = await appWith({ threshold: 1, resetTimeout: 10_000 })
    app.get('/', { preHandler: app.circuitBreaker() }, statusHandler)
    const tripping = await app.inject('/?status=500')
    expect(tripping.headers['retry-after']).toBe('10')
    expect(tripping.headers['cache-control']).toBe('no-store')
    clock.advance(2_500)
    const refused = await app.inject('/')
    expect(refused.headers['retry-after']).toBe('8')
    expect(refused.headers['cache-control']).toBe('no-store')
    clock.advance(7_499)
    expect((await app.inject('/')).headers['retry-after']).toBe('1')
  })
})
