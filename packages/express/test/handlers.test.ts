import { CircuitBreakerRegistry, type CircuitOpenError, isCircuitOpenError } from '@tripswitch/core'
import type { NextFunction, Request, Response } from 'express'
import { describe, expect, it } from 'vitest'
import { circuitBreaker, circuitStatus } from '../src/index.ts'
import { expressVersions, fakeRegistry, serve, statuses } from './helpers.ts'

const fail = (_req: Request, res: Response) => {
  res.sendStatus(500)
}

describe.each(expressVersions)('$version', ({ express }) => {
  describe('refusal handlers', () => {
    it('lets onCircuitOpen answer a refused request', async () => {
      const { registry } = fakeRegistry()
      const errors: CircuitOpenError[] = []
      const app = express()
      const onCircuitOpen = (
        _req: Request,
        res: Response,
        _next: NextFunction,
        error: CircuitOpenError,
      ) => {
        errors.push(error)
        res.status(429).set('x-circuit', error.circuit).json({ busy: true })
      }
      app.get('/x', circuitBreaker({ registry, errorThreshold: 1, onCircuitOpen }), fail)
      const served = await serve(app)
      await served.fetch('/x')

      const answer = await served.fetch('/x')
      expect(answer.status).toBe(429)
      expect(answer.headers.get('x-circuit')).toBe('GET /x')
      expect(answer.json).toEqual({ busy: true })
      expect(errors).toHaveLength(1)
      expect(errors[0]?.code).toBe('ERR_CIRCUIT_OPEN')
    })

    it('lets onCircuitOpen hand the refusal to the error handler with next(error)', async () => {
      const { registry } = fakeRegistry()
      const app = express()
      app.get(
        '/x',
        circuitBreaker({
          registry,
          errorThreshold: 1,
          onCircuitOpen: (_req, _res, next, error) => next(error),
        }),
        fail,
      )
      app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
        res.status(503).json({ handledBy: 'app', open: isCircuitOpenError(error) })
      })
      const served = await serve(app)
      await served.fetch('/x')

      expect((await served.fetch('/x')).json).toEqual({ handledBy: 'app', open: true })
    })

    it('passes a rejected async onCircuitOpen to the error handler', async () => {
      const { registry } = fakeRegistry()
      const app = express()
      const onCircuitOpen = async () => {
        throw new Error('cannot render')
      }
      app.get('/x', circuitBreaker({ registry, errorThreshold: 1, onCircuitOpen }), fail)
      app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
        res.status(500).json({ message: error.message })
      })
      const served = await serve(app)
      await served.fetch('/x')

      expect((await served.fetch('/x')).json).toEqual({ message: 'cannot render' })
    })

    it('answers from fallback while the circuit is open, without calling the handler', async () => {
      const { registry } = fakeRegistry()
      let handlerCalls = 0
      const app = express()
      const fallback = (_req: Request, res: Response) => {
        res.json({ offer: 'cached', breaker: res.locals.circuitBreaker?.state })
      }
      app.get('/offer', circuitBreaker({ registry, errorThreshold: 2, fallback }), (req, res) => {
        handlerCalls++
        fail(req, res)
      })
      const served = await serve(app)

      expect(await statuses(served, '/offer', 2)).toEqual([500, 500])
      const answer = await served.fetch('/offer')
      expect(answer.status).toBe(200)
      expect(answer.json).toEqual({ offer: 'cached', breaker: 'open' })
      expect(handlerCalls).toBe(2)
    })
  })

  describe('circuitStatus', () => {
    it('answers registry.health(): 200 while all circuits are closed, 503 once one is open', async () => {
      const { registry } = fakeRegistry()
      const app = express()
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
      expect(Object.keys((up.json as { circuits: object }).circuits)).toEqual(['GET /y'])

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

    it('reports on the default registry without an argument', async () => {
      const app = express()
      app.get('/ready', circuitStatus())
      app.get('/z', circuitBreaker({ name: 'express-test-status' }), (_req, res) => {
        res.sendStatus(200)
      })
      const served = await serve(app)
      await served.fetch('/z')

      const answer = await served.fetch('/ready')
      expect((answer.json as { circuits: object }).circuits).toHaveProperty('express-test-status')
    })

    it('uses a private registry when the middleware is given a clock', async () => {
      const { clock } = fakeRegistry()
      const guard = circuitBreaker({ clock, errorThreshold: 1, recoveryTimeout: 2_000 })
      const app = express()
      app.get('/ready', circuitStatus(guard.registry))
      app.get('/p', guard, fail)
      const served = await serve(app)

      expect(guard.registry).toBeInstanceOf(CircuitBreakerRegistry)
      await served.fetch('/p')
      expect((await served.fetch('/ready')).status).toBe(503)
      clock.advance(2_000)
      expect((await served.fetch('/p')).status).toBe(500)
      expect((await served.fetch('/p')).headers.get('retry-after')).toBe('2')
    })
  })
})
