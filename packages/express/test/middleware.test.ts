import type { BreakerDefaults } from '@tripswitch/core'
import { retryAfterSeconds } from '@tripswitch/core/adapter'
import type { NextFunction, Request, Response } from 'express'
import { describe, expect, it } from 'vitest'
import { captureErrors, circuitBreaker } from '../src/index.ts'
import { expressVersions, fakeRegistry, serve, statuses } from './helpers.ts'

const fail = (_req: Request, res: Response) => {
  res.status(500).json({ ok: false })
}
const ok = (_req: Request, res: Response) => {
  res.json({ ok: true })
}

describe.each(expressVersions)('$version', ({ express }) => {
  describe('circuitBreaker on a route', () => {
    it('opens after errorThreshold failures and refuses further calls with 503', async () => {
      const { registry } = fakeRegistry()
      let calls = 0
      const app = express()
      app.get('/flaky', circuitBreaker({ registry, errorThreshold: 3 }), (req, res) => {
        calls++
        fail(req, res)
      })
      const served = await serve(app)

      expect(await statuses(served, '/flaky', 5)).toEqual([500, 500, 500, 503, 503])
      expect(calls).toBe(3)
      expect(registry.get('GET /flaky').state).toBe('open')
    })

    it('keeps one breaker per route: an open route does not refuse another', async () => {
      const { registry } = fakeRegistry()
      const guard = circuitBreaker({ registry, errorThreshold: 2 })
      const app = express()
      app.get('/a', guard, fail)
      app.get('/b', guard, ok)
      const served = await serve(app)

      expect(await statuses(served, '/a', 3)).toEqual([500, 500, 503])
      expect(await statuses(served, '/b', 2)).toEqual([200, 200])
      expect(registry.get('GET /a').state).toBe('open')
      expect(registry.get('GET /b').state).toBe('closed')
    })

    it('never trips on 4xx answers', async () => {
      const { registry } = fakeRegistry()
      const app = express()
      app.get('/missing', circuitBreaker({ registry, errorThreshold: 2 }), (_req, res) => {
        res.status(404).json({ error: 'not found' })
      })
      app.get('/bad', circuitBreaker({ registry, errorThreshold: 2 }), (_req, res) => {
        res.sendStatus(429)
      })
      const served = await serve(app)

      expect(await statuses(served, '/missing', 5)).toEqual([404, 404, 404, 404, 404])
      expect(await statuses(served, '/bad', 3)).toEqual([429, 429, 429])
      expect(registry.get('GET /missing').snapshot().successes).toBe(5)
      expect(registry.get('GET /missing').state).toBe('closed')
    })

    it('counts thrown and next(err) errors by the status they end with (500 fails, 404 does not)', async () => {
      const { registry } = fakeRegistry()
      const status = (code: number) =>
        Object.assign(new Error(`status ${code}`), { statusCode: code })
      const app = express()
      const guard = circuitBreaker({ registry, errorThreshold: 2 })
      app.get('/throws', guard, () => {
        throw status(500)
      })
      app.get('/next-500', guard, (_req, _res, next: NextFunction) => next(status(500)))
      app.get('/next-404', guard, (_req, _res, next: NextFunction) => next(status(404)))
      const served = await serve(app)

      expect(await statuses(served, '/next-404', 4)).toEqual([404, 404, 404, 404])
      expect(registry.get('GET /next-404').state).toBe('closed')
      expect(await statuses(served, '/throws', 3)).toEqual([500, 500, 503])
      expect(await statuses(served, '/next-500', 3)).toEqual([500, 500, 503])
    })

    it('passes a captured error through ignoreErrors, recordErrors and isFailure', async () => {
      class Upstream404 extends Error {}
      const { registry } = fakeRegistry()
      const app = express()
      const throwing = (error: Error) => (_req: Request, _res: Response, next: NextFunction) =>
        next(error)
      const guard = (
        options: Pick<BreakerDefaults, 'ignoreErrors' | 'recordErrors' | 'isFailure'>,
      ) => circuitBreaker({ registry, errorThreshold: 1, ...options })
      app.get('/ignored', guard({ ignoreErrors: [Upstream404] }), throwing(new Upstream404('gone')))
      app.get('/unrecorded', guard({ recordErrors: [RangeError] }), throwing(new TypeError('x')))
      app.get('/not-failure', guard({ isFailure: () => false }), throwing(new Error('x')))
      app.get('/counted', guard({ ignoreErrors: [Upstream404] }), throwing(new Error('x')))
      app.use(captureErrors())
      app.use((_error: unknown, _req: Request, res: Response, _next: NextFunction) => {
        res.status(500).json({ error: 'internal' })
      })
      const served = await serve(app)

      // As in execute(): ignoreErrors leaves an error uncounted; an error recordErrors does not
      // list, or isFailure rejects, is a success (the dependency answered).
      expect(await statuses(served, '/ignored', 3)).toEqual([500, 500, 500])
      expect(registry.get('GET /ignored').snapshot()).toMatchObject({ failures: 0, successes: 0 })
      for (const path of ['/unrecorded', '/not-failure']) {
        expect(await statuses(served, path, 3)).toEqual([500, 500, 500])
        expect(registry.get(`GET ${path}`).snapshot()).toMatchObject({ failures: 0, successes: 3 })
      }
      expect(await statuses(served, '/counted', 2)).toEqual([500, 503])
    })

    it('hands the next(err) error to detectError when captureErrors() is installed', async () => {
      const { registry } = fakeRegistry()
      const seen: Array<{ statusCode: number | undefined; error: unknown; path: string }> = []
      const app = express()
      app.get(
        '/boom',
        circuitBreaker({
          registry,
          detectError: ({ statusCode, error, request }) => {
            seen.push({ statusCode, error, path: request.path })
            return error instanceof RangeError
          },
        }),
        (_req, _res, next: NextFunction) => next(new RangeError('downstream out of range')),
      )
      app.use(captureErrors())
      app.use((_error: unknown, _req: Request, res: Response, _next: NextFunction) => {
        res.status(502).json({ error: 'bad gateway' })
      })
      const served = await serve(app)

      expect((await served.fetch('/boom')).status).toBe(502)
      expect(seen).toHaveLength(1)
      expect(seen[0]?.statusCode).toBe(502)
      expect(seen[0]?.error).toBeInstanceOf(RangeError)
      expect(registry.get('GET /boom').snapshot().failures).toBe(1)
    })

    it('answers an open circuit with 503, Retry-After, no-store and a body without internals', async () => {
      const { clock, registry } = fakeRegistry()
      const app = express()
      app.get(
        '/users/:id',
        circuitBreaker({ registry, errorThreshold: 1, recoveryTimeout: 30_000 }),
        () => {
          throw new Error('secret downstream failure at db.internal:5432')
        },
      )
      const served = await serve(app)
      expect((await served.fetch('/users/42?token=hunter2')).status).toBe(500)

      clock.advance(1_500)
      const answer = await served.fetch('/users/42?token=hunter2')
      const breaker = registry.get('GET /users/:id')

      expect(answer.status).toBe(503)
      expect(answer.headers.get('retry-after')).toBe('29')
      expect(Number(answer.headers.get('retry-after'))).toBe(
        retryAfterSeconds(breaker.retryAfterMs),
      )
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
      for (const leak of [
        'stack',
        'secret',
        'db.internal',
        '127.0.0.1',
        '42',
        'hunter2',
        'token',
      ]) {
        expect(answer.text).not.toContain(leak)
      }
    })

    it('rounds Retry-After up to whole seconds', async () => {
      const { clock, registry } = fakeRegistry()
      const app = express()
      app.get('/x', circuitBreaker({ registry, errorThreshold: 1, recoveryTimeout: 10_000 }), fail)
      const served = await serve(app)
      await served.fetch('/x')

      clock.advance(8_999)
      expect((await served.fetch('/x')).headers.get('retry-after')).toBe('2')
      clock.advance(2)
      const last = await served.fetch('/x')
      expect(last.headers.get('retry-after')).toBe('1')
      expect(last.json).toMatchObject({ retryAfter: 1 })
    })

    it('exposes the guarding breaker as res.locals.circuitBreaker', async () => {
      const { registry } = fakeRegistry()
      const app = express()
      app.get('/who', circuitBreaker({ registry }), (_req, res) => {
        const breaker = res.locals.circuitBreaker
        res.json({ name: breaker?.name, state: breaker?.state, active: breaker?.activeCalls })
      })
      const served = await serve(app)

      expect((await served.fetch('/who')).json).toEqual({
        name: 'GET /who',
        state: 'closed',
        active: 1,
      })
    })
  })
})
