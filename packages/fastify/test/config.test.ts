import { CircuitBreakerRegistry, isInvalidOptionsError, MemoryStore } from '@tripswitch/core'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import circuitBreaker from '../src/index.ts'
import { appWith, FakeClock, hit, OPEN_BODY, statusHandler } from './support.ts'

describe('config form', () => {
  it('guards a route with config.circuitBreaker, core option names included', async () => {
    const { app } = await appWith()
    app.get('/', { config: { circuitBreaker: { errorThreshold: 2 } } }, statusHandler)
    app.get('/plain', statusHandler)
    expect(await hit(app, '/?status=500', 3)).toEqual([500, 503, 503])
    expect(await hit(app, '/plain?status=500', 6)).toEqual([500, 500, 500, 500, 500, 500])
    expect(app.circuitBreakers.has('GET /')).toBe(true)
    expect(app.circuitBreakers.has('GET /plain')).toBe(false)
  })

  it('takes other strategies from core', async () => {
    const { app } = await appWith()
    const circuit = { strategy: 'rate', failureRateThreshold: 0.5, minimumCalls: 4 } as const
    app.get('/', { config: { circuitBreaker: circuit } }, statusHandler)
    expect(await hit(app, '/?status=500', 2)).toEqual([500, 500])
    expect(await hit(app, '/', 1)).toEqual([200])
    expect(await hit(app, '/?status=500', 1)).toEqual([503])
  })

  it('drops plugin options that a route strategy does not use', async () => {
    const { app } = await appWith({ threshold: 1 })
    const circuit = { strategy: 'rate', failureRateThreshold: 0.5, minimumCalls: 4 } as const
    app.get('/', { config: { circuitBreaker: circuit } }, statusHandler)
    app.get('/plain', { config: { circuitBreaker: {} } }, statusHandler)
    expect(await hit(app, '/?status=500', 2)).toEqual([500, 500])
    expect(await hit(app, '/?status=500', 2)).toEqual([500, 503])
    // threshold 1 still guards the plain route: its first failure trips it (answered 'Circuit open').
    expect(await hit(app, '/plain?status=500', 1)).toEqual([503])
  })

  it('still rejects plugin options that contradict the plugin strategy', async () => {
    const app = Fastify()
    await expect(
      app.register(circuitBreaker, { strategy: 'rate', threshold: 3 }).ready(),
    ).rejects.toThrow(expect.objectContaining({ option: 'threshold' }))
  })

  it('route options override the plugin defaults', async () => {
    const { app } = await appWith({ threshold: 5, onCircuitOpen: () => 'plugin' })
    app.get(
      '/',
      { config: { circuitBreaker: { threshold: 1, onCircuitOpen: () => 'route' } } },
      statusHandler,
    )
    expect((await app.inject('/?status=500')).body).toBe('route')
  })

  it('names circuits by method and route template, never by URL, with the prefix', async () => {
    const { app } = await appWith({ global: true })
    await app.register(
      async (child) => {
        child.get('/users/:id', statusHandler)
      },
      { prefix: '/v1' },
    )
    await hit(app, '/v1/users/42?x=1')
    await hit(app, '/v1/users/43')
    const names = app.circuitBreakers.list().map((b) => b.name)
    expect(names).toContain('GET /v1/users/:id')
    expect(names.some((n) => n.includes('42') || n.includes('?'))).toBe(false)
  })

  it('puts the automatic HEAD route under the GET route’s circuit', async () => {
    const { app } = await appWith({ threshold: 1 })
    app.get('/', { config: { circuitBreaker: {} } }, statusHandler)
    await hit(app, '/?status=500')
    expect((await app.inject({ method: 'HEAD', url: '/' })).statusCode).toBe(503)
    expect(app.circuitBreakers.get('GET /').state).toBe('open')
    expect(app.circuitBreakers.has('HEAD /')).toBe(false)
  })

  it('a user-given name shares one circuit between routes', async () => {
    const { app } = await appWith({ threshold: 2 })
    app.get('/a', { config: { circuitBreaker: { name: 'payments' } } }, statusHandler)
    app.get('/b', { preHandler: app.circuitBreaker({ name: 'payments' }) }, statusHandler)
    await hit(app, '/a?status=500')
    expect(await hit(app, '/b?status=500')).toEqual([503])
    expect(await hit(app, '/a')).toEqual([503])
  })

  it('keeps names unique when two circuits guard the same route', async () => {
    const { app } = await appWith()
    app.get('/', { preHandler: [app.circuitBreaker(), app.circuitBreaker()] }, statusHandler)
    app.get(
      '/both',
      { preHandler: app.circuitBreaker(), config: { circuitBreaker: {} } },
      statusHandler,
    )
    expect(
      app.circuitBreakers
        .list()
        .map((b) => b.name)
        .sort(),
    ).toEqual(['GET /', 'GET / #2', 'GET /both', 'GET /both #4'])
  })

  it.each([true, 'yes', 5, null])(
    'rejects config.circuitBreaker: %j at route registration',
    async (value) => {
      const { app } = await appWith()
      const config = { circuitBreaker: value as unknown as false }
      expect(() => app.get('/', { config }, statusHandler)).toThrow(
        expect.objectContaining({ option: 'config.circuitBreaker', code: 'ERR_CIRCUIT_OPTIONS' }),
      )
    },
  )

  it('names a bad option under config.circuitBreaker', async () => {
    const { app } = await appWith()
    let error: unknown
    try {
      app.get('/', { config: { circuitBreaker: { threshold: 0 } } }, statusHandler)
    } catch (e) {
      error = e
    }
    expect(isInvalidOptionsError(error)).toBe(true)
    expect((error as { option: string }).option).toBe('config.circuitBreaker.threshold')
  })
})

describe('global', () => {
  it('puts every route under its own circuit; false opts a route out', async () => {
    const { app } = await appWith({ global: true, threshold: 1 })
    app.get('/a', statusHandler)
    app.get('/b', statusHandler)
    app.get('/out', { config: { circuitBreaker: false } }, statusHandler)
    await hit(app, '/a?status=500')
    expect(await hit(app, '/a')).toEqual([503])
    expect(await hit(app, '/b')).toEqual([200])
    expect(await hit(app, '/out?status=500', 3)).toEqual([500, 500, 500])
    expect(app.circuitBreakers.has('GET /out')).toBe(false)
  })

  it('is off by default', async () => {
    const { app } = await appWith({ threshold: 1 })
    app.get('/', statusHandler)
    expect(await hit(app, '/?status=500', 2)).toEqual([500, 500])
    expect(app.circuitBreakers.size).toBe(0)
  })

  it('leaves a route guarded by app.circuitBreaker() to that circuit alone', async () => {
    const { app } = await appWith({ global: true, threshold: 1 })
    app.get('/', { preHandler: app.circuitBreaker({ threshold: 2 }) }, statusHandler)
    expect(await hit(app, '/?status=500', 2)).toEqual([500, 503])
    expect(app.circuitBreakers.list().filter((b) => b.name.startsWith('GET')).length).toBe(1)
  })
})

describe('registry, store and status route', () => {
  it('uses a given registry, decorated as app.circuitBreakers', async () => {
    const clock = new FakeClock()
    const registry = new CircuitBreakerRegistry({ clock })
    const app = Fastify()
    await app.register(circuitBreaker, { registry, threshold: 1 })
    app.get('/', { preHandler: app.circuitBreaker() }, statusHandler)
    await hit(app, '/?status=500')
    expect(app.circuitBreakers).toBe(registry)
    expect(registry.get('GET /').state).toBe('open')
  })

  it('rejects cache, store or clock next to a registry', async () => {
    for (const extra of [{ cache: 10 }, { store: new MemoryStore() }, { clock: new FakeClock() }]) {
      const app = Fastify()
      const error = await app
        .register(circuitBreaker, { registry: new CircuitBreakerRegistry(), ...extra })
        .then(
          () => undefined,
          (e: unknown) => e,
        )
      expect((error as { option: string }).option).toBe(Object.keys(extra)[0])
    }
  })

  it('shares state through a store between two apps', async () => {
    const clock = new FakeClock()
    const store = new MemoryStore({ clock })
    const apps = [Fastify(), Fastify()]
    for (const app of apps) {
      await app.register(circuitBreaker, { store, clock, threshold: 1 })
      app.get('/', { config: { circuitBreaker: {} } }, statusHandler)
    }
    await hit(apps[0]!, '/?status=500')
    expect((await apps[1]!.inject('/')).json()).toEqual(OPEN_BODY)
  })

  it('answers registry.health() on statusRoute: 200 when closed, 503 while a circuit is open', async () => {
    const { app, clock } = await appWith({
      statusRoute: '/circuits',
      global: true,
      threshold: 1,
      resetTimeout: 1_000,
    })
    app.get('/', statusHandler)
    const up = await app.inject('/circuits')
    expect(up.statusCode).toBe(200)
    expect(up.json()).toMatchObject({ status: 'up', open: [] })
    expect(up.headers['cache-control']).toBe('no-store')
    await hit(app, '/?status=500')
    const down = await app.inject('/circuits')
    expect(down.statusCode).toBe(503)
    expect(down.json()).toMatchObject({ status: 'degraded', open: ['GET /'] })
    expect(down.json().circuits['GET /'].state).toBe('open')
    clock.advance(1_000)
    await hit(app, '/')
    expect((await app.inject('/circuits')).statusCode).toBe(200)
    expect(app.circuitBreakers.has('GET /circuits')).toBe(false)
  })
})

describe('more routes than the registry holds', () => {
  it('1,001 routes with a bound of 1,000: no route crashes or loses live state', async () => {
    const { app } = await appWith({ cache: 1_000, threshold: 2 })
    for (let i = 0; i < 1_001; i++)
      app.get(`/r${i}`, { preHandler: app.circuitBreaker() }, statusHandler)
    await app.ready()
    // One failure is live state (not idle): it must survive 1,000 other routes being used.
    expect(await hit(app, '/r0?status=500')).toEqual([500])
    expect(await hit(app, '/r1?status=500', 2)).toEqual([500, 503])
    for (let i = 2; i < 1_001; i++) expect((await app.inject(`/r${i}`)).statusCode).toBe(200)
    expect(await hit(app, '/r0?status=500')).toEqual([503])
    expect(await hit(app, '/r1')).toEqual([503])
    expect(app.circuitBreakers.size).toBeLessThanOrEqual(1_000)
    // A thousand injected requests: seconds on a busy 2-core machine, not the default 5.
  }, 30_000)

  it('when every held circuit is live, a new route shares the overflow circuit instead of failing', async () => {
    const { app } = await appWith({ cache: 3, threshold: 5 })
    const overflowed: string[] = []
    app.circuitBreakers.on('overflow', ({ name }) => overflowed.push(name))
    for (let i = 0; i < 4; i++)
      app.get(`/r${i}`, { preHandler: app.circuitBreaker() }, statusHandler)
    await app.ready()
    for (let i = 0; i < 3; i++) await hit(app, `/r${i}?status=500`)
    expect(await hit(app, '/r3', 2)).toEqual([200, 200])
    expect(overflowed).toContain('GET /r3')
    for (let i = 0; i < 3; i++)
      expect(app.circuitBreakers.get(`GET /r${i}`).snapshot().consecutiveFailures).toBe(1)
  })
})
