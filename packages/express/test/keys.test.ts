import type { Request, Response } from 'express'
import { describe, expect, it } from 'vitest'
import { circuitBreaker } from '../src/index.ts'
import { deferred, expressVersions, fakeRegistry, serve, statuses } from './helpers.ts'

const answerWith = (status: number) => (_req: Request, res: Response) => {
  res.status(status).json({ breaker: res.locals.circuitBreaker?.name ?? null })
}

describe.each(expressVersions)('$version', ({ express, allowGetHead }) => {
  describe('breaker keys', () => {
    it('gives each route its own breaker under app.use, whatever the query string', async () => {
      const { registry } = fakeRegistry()
      const app = express()
      app.use(circuitBreaker({ registry, errorThreshold: 2 }))
      app.get('/a', answerWith(500))
      app.get('/items/:id', answerWith(200))
      const served = await serve(app)

      for (const query of ['', '?x=1', '?x=2&y=3', '?cache=bust']) {
        expect((await served.fetch(`/items/${query.length}${query}`)).json).toEqual({
          breaker: 'GET /items/:id',
        })
      }
      expect(await statuses(served, '/a?attempt=1', 1)).toEqual([500])
      expect(await statuses(served, '/a?attempt=2', 1)).toEqual([500])
      expect(await statuses(served, '/a?attempt=3', 1)).toEqual([503])
      expect(await statuses(served, '/items/7?again=1', 1)).toEqual([200])
      expect(
        registry
          .list()
          .map((b) => b.name)
          .sort(),
      ).toEqual(['GET /a', 'GET /items/:id'])
    })

    it('leaves req.route readable and writable under app.use, before and after the match', async () => {
      const { registry } = fakeRegistry()
      const app = express()
      const seen: unknown[] = []
      app.use(circuitBreaker({ registry }))
      app.use((req: Request, _res: Response, next: () => void) => {
        seen.push(req.route)
        next()
      })
      app.get('/users/:id', (req: Request, res: Response) => {
        const matched = (req.route as { path: string }).path
        req.route = { path: 'replaced by the handler' }
        res.json({ matched, now: (req.route as { path: string }).path })
      })
      const served = await serve(app)

      for (const id of ['1', '2']) {
        expect((await served.fetch(`/users/${id}`)).json).toEqual({
          matched: '/users/:id',
          now: 'replaced by the handler',
        })
      }
      // Before the match, as without the middleware: no route yet.
      expect(seen).toEqual([undefined, undefined])
      expect(registry.list().map((b) => b.name)).toEqual(['GET /users/:id'])
    })

    it('includes the mount path under app.use(path) and in routers', async () => {
      const { registry } = fakeRegistry()
      const api = express.Router()
      api.get('/users/:id', answerWith(200))
      api.post('/users', answerWith(201))
      const app = express()
      app.use('/api', circuitBreaker({ registry }), api)
      app.get('/plain', answerWith(200))
      const served = await serve(app)

      expect((await served.fetch('/api/users/9?q=1')).json).toEqual({
        breaker: 'GET /api/users/:id',
      })
      expect((await served.fetch('/api/users', { method: 'POST' })).json).toEqual({
        breaker: 'POST /api/users',
      })
      // Outside the mount the middleware never runs, so nothing guards /plain.
      expect((await served.fetch('/plain')).json).toEqual({ breaker: null })
      expect(
        registry
          .list()
          .map((b) => b.name)
          .sort(),
      ).toEqual(['GET /api/users/:id', 'POST /api/users'])
    })

    it('guards the routes of a mounted sub-app under the parent app.use', async () => {
      const { registry } = fakeRegistry()
      const sub = express()
      sub.get('/items/:id', answerWith(500))
      const app = express()
      app.use(circuitBreaker({ registry, errorThreshold: 2 }))
      app.use('/v1', sub)
      app.get('/top', answerWith(200))
      const served = await serve(app)

      expect((await served.fetch('/top')).json).toEqual({ breaker: 'GET /top' })
      expect((await served.fetch('/v1/items/1')).json).toEqual({ breaker: 'GET /v1/items/:id' })
      expect(await statuses(served, '/v1/items/2', 3)).toEqual([500, 503, 503])
      expect(registry.get('GET /v1/items/:id').state).toBe('open')
      expect(registry.get('GET /top').state).toBe('closed')
      expect((await served.fetch('/top')).json).toEqual({ breaker: 'GET /top' })
    })

    it('keys routes of a router that uses the middleware itself', async () => {
      const { registry } = fakeRegistry()
      const shop = express.Router()
      shop.use(circuitBreaker({ registry }))
      shop.get('/carts/:cart/items', answerWith(200))
      const app = express()
      app.use('/shop', shop)
      const served = await serve(app)

      expect((await served.fetch('/shop/carts/c1/items?page=2')).json).toEqual({
        breaker: 'GET /shop/carts/:cart/items',
      })
      expect((await served.fetch('/shop/carts/c2/items')).status).toBe(200)
      expect(registry.list().map((b) => b.name)).toEqual(['GET /shop/carts/:cart/items'])
    })

    it('does not disturb a request already inside a route when it first guards that route', async () => {
      const { registry } = fakeRegistry()
      const entered = deferred()
      const release = deferred()
      const runs: string[] = []
      const router = express.Router()
      router.get(
        '/shared',
        async (req, _res, next) => {
          runs.push(`first ${req.baseUrl}`)
          if (req.baseUrl === '/open') {
            entered.resolve()
            await release.promise
          }
          next()
        },
        (req, res) => {
          runs.push(`second ${req.baseUrl}`)
          res.json({ breaker: res.locals.circuitBreaker?.name ?? null })
        },
      )
      const app = express()
      app.use('/open', router)
      app.use('/guarded', circuitBreaker({ registry }), router)
      const served = await serve(app)

      const open = served.fetch('/open/shared')
      await entered.promise
      expect((await served.fetch('/guarded/shared')).json).toEqual({
        breaker: 'GET /guarded/shared',
      })
      release.resolve()
      expect((await open).json).toEqual({ breaker: null })
      expect(runs).toEqual(['first /open', 'first /guarded', 'second /guarded', 'second /open'])
    })

    it('leaves unmatched requests and route methods alone under app.use', async () => {
      const { registry } = fakeRegistry()
      const app = express()
      app.use(circuitBreaker({ registry }))
      app.get('/only-get', answerWith(200))
      const served = await serve(app)
      expect((await served.fetch('/only-get')).status).toBe(200)

      expect((await served.fetch('/nowhere')).status).toBe(404)
      expect((await served.fetch('/only-get', { method: 'DELETE' })).status).toBe(404)
      expect((await served.fetch('/only-get', { method: 'OPTIONS' })).headers.get('allow')).toBe(
        allowGetHead,
      )
      expect(registry.list().map((b) => b.name)).toEqual(['GET /only-get'])
    })

    it('uses key(req) when given', async () => {
      const { registry } = fakeRegistry()
      const app = express()
      const byTenant = circuitBreaker({
        registry,
        errorThreshold: 1,
        key: (req) => `tenant:${req.get('x-tenant')}`,
      })
      app.use(byTenant)
      app.get('/work', (req, res) => {
        res.sendStatus(req.get('x-tenant') === 'broken' ? 500 : 200)
      })
      const served = await serve(app)
      const as = (tenant: string) => served.fetch('/work', { headers: { 'x-tenant': tenant } })

      expect((await as('broken')).status).toBe(500)
      expect((await as('broken')).status).toBe(503)
      expect((await as('healthy')).status).toBe(200)
      expect(
        registry
          .list()
          .map((b) => b.name)
          .sort(),
      ).toEqual(['tenant:broken', 'tenant:healthy'])
      expect(byTenant.registry).toBe(registry)
    })

    it('uses one breaker for every route given a name, in the default registry', async () => {
      const guard = circuitBreaker({ name: 'express-test-offer', errorThreshold: 2 })
      const app = express()
      app.get('/x', guard, answerWith(500))
      app.get('/y', guard, answerWith(200))
      const served = await serve(app)

      expect(await statuses(served, '/x', 1)).toEqual([500])
      expect((await served.fetch('/y')).json).toEqual({ breaker: 'express-test-offer' })
      expect(await statuses(served, '/x', 2)).toEqual([500, 500])
      expect(await statuses(served, '/y', 1)).toEqual([503])
      guard.registry.get('express-test-offer').reset()
    })

    it('admits a request once when the same middleware is reached twice', async () => {
      const { registry } = fakeRegistry()
      const guard = circuitBreaker({ registry })
      const app = express()
      app.use(guard)
      app.get('/twice', guard, (_req, res) => {
        res.json({ active: res.locals.circuitBreaker?.activeCalls })
      })
      const served = await serve(app)

      expect((await served.fetch('/twice')).json).toEqual({ active: 1 })
      expect(registry.get('GET /twice').snapshot().successes).toBe(1)
    })
  })

  describe('registry bound', () => {
    it('serves 1,001 routes with maxBreakers 1,000 without losing a route with counted failures', async () => {
      const { registry } = fakeRegistry({ maxBreakers: 1_000 })
      const evicted: string[] = []
      registry.on('evict', ({ name }) => evicted.push(name))
      const app = express()
      const guard = circuitBreaker({ registry, errorThreshold: 3 })
      app.get('/r0', guard, answerWith(500))
      for (let i = 1; i <= 1_000; i++) app.get(`/r${i}`, guard, answerWith(200))
      const served = await serve(app)

      expect(await statuses(served, '/r0', 2)).toEqual([500, 500])
      for (let i = 1; i <= 1_000; i += 50) {
        const batch = Array.from({ length: 50 }, (_, j) => served.fetch(`/r${i + j}`))
        expect((await Promise.all(batch)).every((a) => a.status === 200)).toBe(true)
      }

      expect(registry.size).toBe(1_000)
      expect(evicted).toHaveLength(1)
      expect(evicted).not.toContain('GET /r0')
      expect(registry.has('GET /r0')).toBe(true)
      expect(registry.get('GET /r0').snapshot().failures).toBe(2)
      expect(await statuses(served, '/r0', 2)).toEqual([500, 503])
      // A thousand real requests: seconds on a busy 2-core machine, not the default 5.
    }, 30_000)
  })
})
