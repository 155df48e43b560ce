import type { CircuitBreakerRegistry } from '@tripswitch/core'
import type { ErrorRequestHandler, RequestHandler } from 'express'
import { describe, expect, it } from 'vitest'
import {
  type CircuitBreakerMiddlewareOptions,
  captureErrors,
  circuitBreaker,
} from '../src/index.ts'
import {
  deferred,
  type ExpressModule,
  expressVersions,
  fakeRegistry,
  serve,
  statuses,
} from './helpers.ts'

// Every request through the middleware is guarded and its permit settled exactly once, whatever
// the user's hooks or handler do; nothing the adapter runs from an event listener or timer may
// crash the process (vitest fails the run on an uncaught error or unhandled rejection).

/** Answers any error as JSON with what the adapter put in it. */
const reportError: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
  const e = error as { code?: unknown; option?: unknown; message?: unknown; value?: unknown }
  res.status(500).json({ code: e.code, option: e.option, message: e.message, value: e.value })
}

const BAD_KEYS: ReadonlyArray<readonly [string, unknown]> = [
  ['undefined', undefined],
  ['a number', 42],
  ['an empty string', ''],
  ['a 100,000-character string', 'k'.repeat(100_000)],
]

/** `/svc` under `options`, tripped open (errorThreshold 1, recoveryTimeout 1 s) by one 500. */
async function trippedRoute(
  express: ExpressModule,
  options: CircuitBreakerMiddlewareOptions & { registry: CircuitBreakerRegistry },
  handler: RequestHandler,
) {
  let tripping = true
  const app = express()
  app.get(
    '/svc',
    circuitBreaker({ errorThreshold: 1, recoveryTimeout: 1_000, ...options }),
    (req, res, next) => {
      if (!tripping) return handler(req, res, next)
      tripping = false
      res.sendStatus(500)
    },
  )
  app.use(captureErrors())
  const served = await serve(app)
  expect((await served.fetch('/svc')).status).toBe(500)
  const breaker = options.registry.get('GET /svc')
  expect(breaker.state).toBe('open')
  return { served, breaker }
}

describe.each(expressVersions)('$version', ({ express }) => {
  describe('a key(req) that gives no usable key', () => {
    it.each(BAD_KEYS)('sends %s to next(error), never to the handler', async (_what, bad) => {
      const { registry } = fakeRegistry()
      let handled = 0
      const app = express()
      const key = (() => bad) as unknown as (req: unknown) => string
      app.get('/on-route', circuitBreaker({ registry, key }), (_req, res) => {
        handled++
        res.sendStatus(200)
      })
      app.use(circuitBreaker({ registry, key }))
      app.get('/under-use', (_req, res) => {
        handled++
        res.sendStatus(200)
      })
      app.use(reportError)
      const served = await serve(app)

      for (const path of ['/on-route', '/under-use']) {
        const answer = await served.fetch(path)
        expect(answer.status).toBe(500)
        expect(answer.json).toMatchObject({ code: 'ERR_CIRCUIT_OPTIONS', option: 'key' })
        // The message quotes at most the first 100 characters of the bad value.
        expect((answer.json as { message: string }).message.length).toBeLessThan(250)
      }
      expect(handled).toBe(0)
      expect(registry.size).toBe(0)
    })

    it('quotes at most the first 100 characters of a long key in the message', async () => {
      const { registry } = fakeRegistry()
      const app = express()
      const long = `${'a'.repeat(100)}${'z'.repeat(200)}`
      app.get('/x', circuitBreaker({ registry, key: () => long }), (_req, res) => {
        res.sendStatus(200)
      })
      app.use(reportError)
      const answer = await (await serve(app)).fetch('/x')
      const body = answer.json as { message: string; value: string }
      expect(body.value).toBe(long)
      expect(body.message).toContain('a'.repeat(90))
      expect(body.message).not.toContain('z')
    })

    it('sends a default route key too long for a breaker name to next(error)', async () => {
      const { registry } = fakeRegistry()
      let handled = 0
      const app = express()
      const tenants = express.Router({ mergeParams: true })
      tenants.get('/orders', circuitBreaker({ registry }), (_req, res) => {
        handled++
        res.sendStatus(200)
      })
      // Express keeps only the matched values of a mount path: they are part of the key.
      app.use('/t/:tenant', tenants)
      app.use(reportError)
      const served = await serve(app)
      expect((await served.fetch('/t/acme/orders')).status).toBe(200)
      const answer = await served.fetch(`/t/${'x'.repeat(300)}/orders`)
      expect(answer.status).toBe(500)
      expect(answer.json).toMatchObject({ code: 'ERR_CIRCUIT_OPTIONS', option: 'key' })
      expect(handled).toBe(1)
    })

    it('sends a key(req) that throws to next(error)', async () => {
      const { registry } = fakeRegistry()
      const app = express()
      const key = () => {
        throw new Error('no tenant header')
      }
      app.get('/x', circuitBreaker({ registry, key }), (_req, res) => {
        res.sendStatus(200)
      })
      app.use(reportError)
      const answer = await (await serve(app)).fetch('/x')
      expect(answer.status).toBe(500)
      expect(answer.json).toMatchObject({ message: 'no tenant header' })
      expect(registry.size).toBe(0)
    })
  })

  describe('a half-open probe settles once, freeing its slot, when', () => {
    const fail: RequestHandler = (_req, res) => {
      res.sendStatus(500)
    }

    it('detectError throws: a failure, the circuit reopens', async () => {
      const { clock, registry } = fakeRegistry()
      const detectError = () => {
        throw new Error('detectError bug')
      }
      const failures: unknown[] = []
      const { served, breaker } = await trippedRoute(express, { registry, detectError }, fail)
      breaker.on('failure', ({ error }) => failures.push(error))
      clock.advance(1_000)
      expect((await served.fetch('/svc')).status).toBe(500)
      expect(breaker.activeCalls).toBe(0)
      expect(breaker.state).toBe('open')
      expect(failures).toEqual([new Error('detectError bug')])
    })

    it('isFailure throws on a captured handler error: a failure, the circuit reopens', async () => {
      const { clock, registry } = fakeRegistry()
      const isFailure = () => {
        throw new Error('isFailure bug')
      }
      const thrower: RequestHandler = () => {
        throw new Error('handler failed')
      }
      const { served, breaker } = await trippedRoute(express, { registry, isFailure }, thrower)
      clock.advance(1_000)
      expect((await served.fetch('/svc')).status).toBe(500)
      expect(breaker.activeCalls).toBe(0)
      expect(breaker.state).toBe('open')
      // The process is still serving: the next refusal is answered.
      expect((await served.fetch('/svc')).status).toBe(503)
    })

    it('the handler throws synchronously: a failure', async () => {
      const { clock, registry } = fakeRegistry()
      const thrower: RequestHandler = () => {
        throw new Error('sync')
      }
      const { served, breaker } = await trippedRoute(express, { registry }, thrower)
      clock.advance(1_000)
      expect((await served.fetch('/svc')).status).toBe(500)
      expect(breaker.activeCalls).toBe(0)
      expect(breaker.state).toBe('open')
    })

    it('the handler passes an error to next(): a failure', async () => {
      const { clock, registry } = fakeRegistry()
      const passer: RequestHandler = (_req, _res, next) => {
        setImmediate(() => next(new Error('async')))
      }
      const { served, breaker } = await trippedRoute(express, { registry }, passer)
      clock.advance(1_000)
      expect((await served.fetch('/svc')).status).toBe(500)
      expect(breaker.activeCalls).toBe(0)
      expect(breaker.state).toBe('open')
    })

    it('the handler is slower than timeout: a failure, its late answer dropped', async () => {
      const { clock, registry } = fakeRegistry()
      const entered = deferred()
      const release = deferred()
      const slow: RequestHandler = async (_req, res) => {
        entered.resolve()
        await release.promise
        res.sendStatus(200)
      }
      const { served, breaker } = await trippedRoute(express, { registry, timeout: 500 }, slow)
      clock.advance(1_000)
      const probe = served.fetch('/svc')
      await entered.promise
      expect(breaker.activeCalls).toBe(1)
      clock.advance(500)
      expect((await probe).json).toMatchObject({ code: 'ERR_CIRCUIT_TIMEOUT' })
      expect(breaker.activeCalls).toBe(0)
      expect(breaker.state).toBe('open')
      release.resolve()
      expect((await served.fetch('/svc')).json).toMatchObject({ code: 'ERR_CIRCUIT_OPEN' })
      expect(breaker.activeCalls).toBe(0)
    })

    it('the handler succeeds after all: the circuit closes', async () => {
      const { clock, registry } = fakeRegistry()
      const ok: RequestHandler = (_req, res) => {
        res.sendStatus(200)
      }
      const { served, breaker } = await trippedRoute(express, { registry }, ok)
      clock.advance(1_000)
      expect(await statuses(served, '/svc', 2)).toEqual([200, 200])
      expect(breaker.activeCalls).toBe(0)
      expect(breaker.state).toBe('closed')
    })
  })

  describe('onCircuitOpen', () => {
    it('throwing synchronously goes to next(error); the process keeps serving', async () => {
      const { registry } = fakeRegistry()
      const onCircuitOpen = () => {
        throw new Error('onCircuitOpen bug')
      }
      const app = express()
      app.get('/x', circuitBreaker({ registry, errorThreshold: 1, onCircuitOpen }), (_req, res) => {
        res.sendStatus(500)
      })
      app.use(reportError)
      const served = await serve(app)
      expect((await served.fetch('/x')).status).toBe(500)
      const refused = await served.fetch('/x')
      expect(refused.status).toBe(500)
      expect(refused.json).toMatchObject({ message: 'onCircuitOpen bug' })
      expect(registry.get('GET /x').activeCalls).toBe(0)
      expect((await served.fetch('/x')).json).toMatchObject({ message: 'onCircuitOpen bug' })
    })
  })
})

// Express 4 does not catch a rejected handler promise (the app must), so this runs on 5 only.
describe('Express 5', () => {
  it('settles a half-open probe whose async handler rejects, as a failure', async () => {
    const express = expressVersions[0]!.express
    const { clock, registry } = fakeRegistry()
    const rejecter: RequestHandler = async () => {
      await Promise.resolve()
      throw new Error('async handler failed')
    }
    const { served, breaker } = await trippedRoute(express, { registry }, rejecter)
    clock.advance(1_000)
    expect((await served.fetch('/svc')).status).toBe(500)
    expect(breaker.activeCalls).toBe(0)
    expect(breaker.state).toBe('open')
  })
})

describe.each(expressVersions)('$version maxConcurrent', ({ express }) => {
  it('answers 503 ERR_CIRCUIT_BUSY past the bound, counting nothing', async () => {
    const { registry } = fakeRegistry()
    const entered = deferred()
    const release = deferred()
    const app = express()
    app.get('/x', circuitBreaker({ registry, maxConcurrent: 1 }), async (_req, res) => {
      entered.resolve()
      await release.promise
      res.sendStatus(200)
    })
    const served = await serve(app)
    const first = served.fetch('/x')
    await entered.promise
    const busy = await served.fetch('/x')
    expect(busy.status).toBe(503)
    expect(busy.headers.get('cache-control')).toBe('no-store')
    expect(busy.headers.get('retry-after')).toBeNull()
    expect(busy.json).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'ERR_CIRCUIT_BUSY',
      message: 'Circuit busy',
      circuit: 'GET /x',
    })
    release.resolve()
    expect((await first).status).toBe(200)
    const breaker = registry.get('GET /x')
    expect(breaker.activeCalls).toBe(0)
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', failures: 0, successes: 1 })
  })
})
