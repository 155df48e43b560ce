import { createRequire } from 'node:module'
import express, { type NextFunction, type Request, type Response } from 'express'
import { describe, expect, it } from 'vitest'
import { captureErrors, circuitBreaker, circuitStatus } from '../src/index.ts'
import { express4 } from './express4-app.ts'
import { deferred, fakeRegistry, serve, statuses } from './helpers.ts'

// The adapter's key behaviours against a real Express 4 app (the `express4` alias).
// Express 4 does not catch rejected promises from handlers, so no async handler here rejects.

const fail = (_req: Request, res: Response) => {
  res.status(500).json({ ok: false })
}
const answerWith = (status: number) => (_req: Request, res: Response) => {
  res.status(status).json({ breaker: res.locals.circuitBreaker?.name ?? null })
}
const names = (registry: { list(): Array<{ name: string }> }) =>
  registry
    .list()
    .map((b) => b.name)
    .sort()

describe('Express 4: circuitBreaker on a route', () => {
  it('runs on Express 4, not 5', () => {
    const manifest: unknown = createRequire(import.meta.url)('express4/package.json')
    expect((manifest as { version: string }).version).toMatch(/^4\./)
    expect(express4).not.toBe(express)
  })

  it('trips after errorThreshold failures: 503, Retry-After, no-store, JSON body', async () => {
    const { clock, registry } = fakeRegistry()
    let calls = 0
    const app = express4()
    app.get(
      '/users/:id',
      circuitBreaker({ registry, errorThreshold: 3, recoveryTimeout: 30_000 }),
      (req, res) => {
        calls++
        fail(req, res)
      },
    )
    const served = await serve(app)

    expect(await statuses(served, '/users/1', 3)).toEqual([500, 500, 500])
    clock.advance(1_500)
    const answer = await served.fetch('/users/42?token=hunter2')

    expect(calls).toBe(3)
    expect(answer.status).toBe(503)
    expect(answer.headers.get('retry-after')).toBe('29')
    expect(answer.headers.get('cache-control')).toBe('no-store')
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/)
    expect(answer.json).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'ERR_CIRCUIT_OPEN',
      message: 'Circuit open',
      circuit: 'GET /users/:id',
      retryAfter: 29,
    })
    expect(answer.text).not.toContain('hunter2')
    expect(registry.get('GET /users/:id').state).toBe('open')
  })

  it('keeps one breaker per route with route-level middleware', async () => {
    const { registry } = fakeRegistry()
    const guard = circuitBreaker({ registry, errorThreshold: 2 })
    const app = express4()
    app.get('/a', guard, fail)
    app.get('/b', guard, answerWith(200))
    const served = await serve(app)

    expect(await statuses(served, '/a', 3)).toEqual([500, 500, 503])
    expect((await served.fetch('/b')).json).toEqual({ breaker: 'GET /b' })
    expect(registry.get('GET /a').state).toBe('open')
    expect(registry.get('GET /b').state).toBe('closed')
  })

  it('never trips on 4xx answers', async () => {
    const { registry } = fakeRegistry()
    const app = express4()
    app.get('/missing', circuitBreaker({ registry, errorThreshold: 2 }), answerWith(404))
    app.get('/busy', circuitBreaker({ registry, errorThreshold: 2 }), (_req, res) => {
      res.sendStatus(429)
    })
    const served = await serve(app)

    expect(await statuses(served, '/missing', 4)).toEqual([404, 404, 404, 404])
    expect(await statuses(served, '/busy', 3)).toEqual([429, 429, 429])
    expect(registry.get('GET /missing').snapshot()).toMatchObject({
      state: 'closed',
      successes: 4,
      failures: 0,
    })
    expect(registry.get('GET /busy').state).toBe('closed')
  })

  it('counts thrown and next(err) errors by their status: 500 fails, 404 does not', async () => {
    const { registry } = fakeRegistry()
    const status = (code: number) =>
      Object.assign(new Error(`status ${code}`), { statusCode: code })
    const guard = circuitBreaker({ registry, errorThreshold: 2 })
    const app = express4()
    app.get('/throws', guard, () => {
      throw status(500)
    })
    app.get('/next-500', guard, (_req, _res, next: NextFunction) => next(status(500)))
    app.get('/next-404', guard, (_req, _res, next: NextFunction) => next(status(404)))
    const served = await serve(app)

    expect(await statuses(served, '/next-404', 4)).toEqual([404, 404, 404, 404])
    expect(registry.get('GET /next-404').state).toBe('closed')
    expect(await statuses(served, '/next-500', 3)).toEqual([500, 500, 503])
    expect(await statuses(served, '/throws', 3)).toEqual([500, 500, 503])
  })

  it('hands the next(err) error to detectError with captureErrors()', async () => {
    const { registry } = fakeRegistry()
    const seen: unknown[] = []
    const app = express4()
    app.get(
      '/boom',
      circuitBreaker({
        registry,
        detectError: ({ error }) => {
          seen.push(error)
          return error instanceof RangeError
        },
      }),
      (_req, _res, next: NextFunction) => next(new RangeError('downstream')),
    )
    app.use(captureErrors())
    app.use((_error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      res.status(502).json({ error: 'bad gateway' })
    })
    const served = await serve(app)

    expect((await served.fetch('/boom')).status).toBe(502)
    expect(seen).toHaveLength(1)
    expect(seen[0]).toBeInstanceOf(RangeError)
    expect(registry.get('GET /boom').snapshot().failures).toBe(1)
  })
})

describe('Express 4: per-route keys under app.use', () => {
  it('gives two routes two breakers named by method and template; a query adds none', async () => {
    const { registry } = fakeRegistry()
    const app = express4()
    app.use(circuitBreaker({ registry, errorThreshold: 2 }))
    app.get('/a', answerWith(500))
    app.get('/items/:id', answerWith(200))
    const served = await serve(app)

    for (const query of ['', '?x=1', '?cache=bust']) {
      expect((await served.fetch(`/items/${query.length}${query}`)).json).toEqual({
        breaker: 'GET /items/:id',
      })
    }
    expect(await statuses(served, '/a?attempt=1', 1)).toEqual([500])
    expect(await statuses(served, '/a?attempt=2', 1)).toEqual([500])
    expect(await statuses(served, '/a?attempt=3', 1)).toEqual([503])
    expect(await statuses(served, '/items/7?again=1', 1)).toEqual([200])
    expect(names(registry)).toEqual(['GET /a', 'GET /items/:id'])
  })

  it('includes the mount path for a router under app.use(path)', async () => {
    const { registry } = fakeRegistry()
    const api = express4.Router()
    api.get('/users/:id', answerWith(200))
    api.post('/users', answerWith(201))
    const app = express4()
    app.use('/api', circuitBreaker({ registry }), api)
    app.get('/plain', answerWith(200))
    const served = await serve(app)

    expect((await served.fetch('/api/users/9?q=1')).json).toEqual({ breaker: 'GET /api/users/:id' })
    expect((await served.fetch('/api/users', { method: 'POST' })).json).toEqual({
      breaker: 'POST /api/users',
    })
    expect((await served.fetch('/plain')).json).toEqual({ breaker: null })
    expect(names(registry)).toEqual(['GET /api/users/:id', 'POST /api/users'])
  })

  it('leaves unmatched requests and route methods alone', async () => {
    const { registry } = fakeRegistry()
    const app = express4()
    app.use(circuitBreaker({ registry }))
    app.get('/only-get', answerWith(200))
    const served = await serve(app)
    expect((await served.fetch('/only-get')).status).toBe(200)

    expect((await served.fetch('/nowhere')).status).toBe(404)
    expect((await served.fetch('/only-get', { method: 'DELETE' })).status).toBe(404)
    expect((await served.fetch('/only-get', { method: 'OPTIONS' })).headers.get('allow')).toBe(
      'GET,HEAD',
    )
    expect(names(registry)).toEqual(['GET /only-get'])
  })
})

describe('Express 4: half-open', () => {
  it('closes the circuit when the probe succeeds after recoveryTimeout', async () => {
    const { clock, registry } = fakeRegistry()
    let status = 500
    let calls = 0
    const app = express4()
    app.get(
      '/svc',
      circuitBreaker({ registry, errorThreshold: 2, recoveryTimeout: 5_000 }),
      (_req, res) => {
        calls++
        res.status(status).json({ status })
      },
    )
    const served = await serve(app)
    expect(await statuses(served, '/svc', 3)).toEqual([500, 500, 503])
    const breaker = registry.get('GET /svc')
    expect(breaker.state).toBe('open')

    clock.advance(4_999)
    expect((await served.fetch('/svc')).status).toBe(503)
    clock.advance(1)
    status = 200
    expect((await served.fetch('/svc')).status).toBe(200)
    expect(breaker.state).toBe('closed')
    expect(await statuses(served, '/svc', 2)).toEqual([200, 200])
    expect(calls).toBe(5)
  })
})

describe('Express 4: timeout and client abort', () => {
  it('answers 503 to a slow handler and drops its late answer without crashing', async () => {
    const { clock, registry } = fakeRegistry()
    const entered = deferred()
    const release = deferred()
    const late = deferred<unknown>()
    const app = express4()
    app.get('/slow', circuitBreaker({ registry, timeout: 1_000 }), async (_req, res) => {
      entered.resolve()
      await release.promise
      try {
        res.status(200).set('x-late', 'yes').json({ late: true })
        res.end()
        late.resolve(undefined)
      } catch (error) {
        late.resolve(error)
      }
    })
    app.get('/fast', circuitBreaker({ registry }), answerWith(200))
    const served = await serve(app)

    const answer = served.fetch('/slow')
    await entered.promise
    const breaker = registry.get('GET /slow')
    clock.advance(999)
    expect(breaker.activeCalls).toBe(1)
    clock.advance(1)
    const timedOut = await answer

    expect(timedOut.status).toBe(503)
    expect(timedOut.headers.get('cache-control')).toBe('no-store')
    expect(timedOut.headers.get('x-late')).toBeNull()
    expect(timedOut.json).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'ERR_CIRCUIT_TIMEOUT',
      message: 'Timeout',
      circuit: 'GET /slow',
    })
    expect(breaker.snapshot()).toMatchObject({ failures: 1, successes: 0 })
    expect(breaker.activeCalls).toBe(0)

    release.resolve()
    expect(await late.promise).toBeUndefined()
    expect(breaker.snapshot()).toMatchObject({ failures: 1, successes: 0 })
    expect((await served.fetch('/fast')).status).toBe(200)
  })

  it('ignores a request the client aborted', async () => {
    const { registry } = fakeRegistry()
    const entered = deferred()
    const closed = deferred()
    const app = express4()
    app.get('/wait', circuitBreaker({ registry, errorThreshold: 1 }), (_req, res) => {
      res.on('close', () => closed.resolve())
      entered.resolve()
    })
    const served = await serve(app)

    const controller = new AbortController()
    const request = fetch(`${served.base}/wait`, { signal: controller.signal }).catch(
      (e: unknown) => e,
    )
    await entered.promise
    const breaker = registry.get('GET /wait')
    expect(breaker.activeCalls).toBe(1)
    controller.abort()
    await closed.promise

    expect(await request).toBeInstanceOf(Error)
    expect(breaker.activeCalls).toBe(0)
    expect(breaker.snapshot()).toMatchObject({ failures: 0, successes: 0, state: 'closed' })
  })
})

describe('Express 4: circuitStatus', () => {
  it('answers 200 while all circuits are closed, 503 once one is open', async () => {
    const { registry } = fakeRegistry()
    const app = express4()
    app.get('/ready', circuitStatus(registry))
    app.get('/x', circuitBreaker({ registry, errorThreshold: 1 }), fail)
    app.get('/y', circuitBreaker({ registry }), (_req, res) => {
      res.sendStatus(204)
    })
    const served = await serve(app)
    await served.fetch('/y')

    const up = await served.fetch('/ready')
    expect(up.status).toBe(200)
    expect(up.headers.get('cache-control')).toBe('no-store')
    expect(up.json).toMatchObject({ status: 'up', open: [] })

    await served.fetch('/x')
    const degraded = await served.fetch('/ready')
    expect(degraded.status).toBe(503)
    expect(degraded.headers.get('cache-control')).toBe('no-store')
    expect(degraded.json).toMatchObject({
      status: 'degraded',
      open: ['GET /x'],
      circuits: { 'GET /x': { state: 'open' }, 'GET /y': { state: 'closed' } },
    })
  })
})
