import { isInvalidOptionsError } from '@tripswitch/core'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { describe, expect, it } from 'vitest'
import circuitBreaker, * as api from '../src/index.ts'
import { appWith, deferred, hit, OPEN_BODY, statusHandler, TIMEOUT_BODY } from './support.ts'

describe('exports and registration', () => {
  it('exports the plugin as default, .default and .fastifyCircuitBreaker', () => {
    expect(typeof circuitBreaker).toBe('function')
    expect(api.default).toBe(circuitBreaker)
    expect(api.fastifyCircuitBreaker).toBe(circuitBreaker)
    expect(circuitBreaker.default).toBe(circuitBreaker)
    expect(circuitBreaker.fastifyCircuitBreaker).toBe(circuitBreaker)
  })

  it('is wrapped by fastify-plugin for Fastify 5 under its own name', () => {
    const meta = (circuitBreaker as unknown as Record<symbol, unknown>)[Symbol.for('plugin-meta')]
    expect(meta).toEqual({ fastify: '5.x', name: '@tripswitch/fastify' })
    expect(
      (circuitBreaker as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')],
    ).toBe(true)
  })

  it('is callback style: calling it returns undefined and calls done once', () => {
    const app = Fastify()
    let calls = 0
    const result: unknown = circuitBreaker(app, {}, () => calls++)
    expect(result).toBeUndefined()
    expect(calls).toBe(1)
  })

  it('accepts no options, undefined and null', async () => {
    for (const options of [undefined, null]) {
      const app = Fastify()
      await app.register(circuitBreaker, options as unknown as object)
      expect(typeof app.circuitBreaker).toBe('function')
      await app.close()
    }
  })

  it('decorates the instance and the requests, visible outside the plugin', async () => {
    const app = Fastify()
    await app.register(circuitBreaker)
    expect(app.hasDecorator('circuitBreaker')).toBe(true)
    expect(app.hasDecorator('circuitBreakers')).toBe(true)
    for (const name of ['_cbTime', '_cbIsOpen', '_cbRouteId'])
      expect(app.hasRequestDecorator(name)).toBe(true)
  })
})

describe('option defaults, messages and codes', () => {
  async function routeWith(
    app: FastifyInstance,
    options?: Parameters<FastifyInstance['circuitBreaker']>[0],
  ) {
    app.get('/', { preHandler: app.circuitBreaker(options) }, statusHandler)
    await app.ready()
  }

  it('opens after 5 consecutive failures and answers the @fastify/circuit-breaker body', async () => {
    const { app } = await appWith()
    await routeWith(app)
    expect(await hit(app, '/?status=500', 4)).toEqual([500, 500, 500, 500])
    const tripping = await app.inject('/?status=500')
    expect(tripping.statusCode).toBe(503)
    expect(tripping.json()).toEqual(OPEN_BODY)
    const refused = await app.inject('/')
    expect(refused.statusCode).toBe(503)
    expect(refused.json()).toEqual(OPEN_BODY)
  })

  it('a reply below 500 resets the count', async () => {
    const { app } = await appWith()
    await routeWith(app)
    await hit(app, '/?status=500', 4)
    await hit(app, '/?status=404')
    expect(await hit(app, '/?status=500', 4)).toEqual([500, 500, 500, 500])
    expect(await hit(app, '/')).toEqual([200])
  })

  it('stays open 10 s, then lets one probe through', async () => {
    const { app, clock } = await appWith()
    await routeWith(app)
    await hit(app, '/?status=500', 5)
    clock.advance(9_999)
    expect(await hit(app, '/')).toEqual([503])
    clock.advance(1)
    expect(await hit(app, '/', 2)).toEqual([200, 200])
  })

  it('times out after 10 s with the timeout body', async () => {
    const { app, clock } = await appWith()
    const release = deferred()
    const entered = deferred()
    app.get('/', { preHandler: app.circuitBreaker() }, async () => {
      entered.resolve()
      await release.promise
      return { late: true }
    })
    const response = app.inject('/')
    await entered.promise
    clock.advance(9_999)
    expect(clock.pendingTimers).toBe(1)
    clock.advance(1)
    const answer = await response
    expect(answer.statusCode).toBe(503)
    expect(answer.json()).toEqual(TIMEOUT_BODY)
    release.resolve()
  })

  it('uses the configured messages', async () => {
    const { app } = await appWith({
      threshold: 1,
      circuitOpenErrorMessage: 'Oh gosh!',
      timeoutErrorMessage: 'Ronf',
    })
    await routeWith(app)
    expect((await app.inject('/?status=500')).json()).toEqual({ ...OPEN_BODY, message: 'Oh gosh!' })
    expect((await app.inject('/')).json().message).toBe('Oh gosh!')
  })

  it('exports the codes and defaults', () => {
    expect(api.CIRCUIT_OPEN_CODE).toBe('FST_ERR_CIRCUIT_BREAKER_OPEN')
    expect(api.CIRCUIT_TIMEOUT_CODE).toBe('FST_ERR_CIRCUIT_BREAKER_TIMEOUT')
    expect(api.COMPAT_DEFAULTS).toEqual({
      timeout: 10_000,
      resetTimeout: 10_000,
      timeoutErrorMessage: 'Timeout',
      circuitOpenErrorMessage: 'Circuit open',
    })
  })
})

describe('request decorations', () => {
  it('sets _cbTime and _cbRouteId on admitted requests, _cbIsOpen on refused ones', async () => {
    const { app, clock } = await appWith({ threshold: 1 })
    const seen: Array<Pick<FastifyRequest, '_cbTime' | '_cbIsOpen' | '_cbRouteId'>> = []
    app.addHook('onResponse', async (request) => {
      seen.push({
        _cbTime: request._cbTime,
        _cbIsOpen: request._cbIsOpen,
        _cbRouteId: request._cbRouteId,
      })
    })
    app.get('/plain', statusHandler)
    app.get('/first', { preHandler: app.circuitBreaker() }, statusHandler)
    app.get('/second', { preHandler: app.circuitBreaker() }, statusHandler)
    await hit(app, '/plain')
    await hit(app, '/first')
    clock.advance(5)
    await hit(app, '/second?status=500')
    await hit(app, '/second')
    expect(seen).toEqual([
      { _cbTime: 0, _cbIsOpen: false, _cbRouteId: 0 },
      { _cbTime: 1_000_000, _cbIsOpen: false, _cbRouteId: 1 },
      { _cbTime: 1_000_005, _cbIsOpen: false, _cbRouteId: 2 },
      { _cbTime: 0, _cbIsOpen: true, _cbRouteId: 0 },
    ])
  })
})

describe('route options', () => {
  it('override the plugin options', async () => {
    const { app, clock } = await appWith({ threshold: 4, resetTimeout: 5_000 })
    app.get(
      '/route',
      { preHandler: app.circuitBreaker({ threshold: 2, resetTimeout: 1_000 }) },
      statusHandler,
    )
    app.get('/plugin', { preHandler: app.circuitBreaker() }, statusHandler)
    expect(await hit(app, '/route?status=500', 3)).toEqual([500, 503, 503])
    expect(await hit(app, '/plugin?status=500', 5)).toEqual([500, 500, 500, 503, 503])
    clock.advance(1_000)
    expect(await hit(app, '/route')).toEqual([200])
    expect(await hit(app, '/plugin')).toEqual([503])
    clock.advance(4_000)
    expect(await hit(app, '/plugin')).toEqual([200])
  })

  it('each app.circuitBreaker() call is one circuit, shared by the routes it guards', async () => {
    const { app } = await appWith({ threshold: 2 })
    const shared = app.circuitBreaker()
    app.get('/a', { preHandler: shared }, statusHandler)
    app.get('/b', { preHandler: shared }, statusHandler)
    app.get('/c', { preHandler: app.circuitBreaker() }, statusHandler)
    await hit(app, '/a?status=500')
    expect(await hit(app, '/b?status=500')).toEqual([503])
    expect(await hit(app, '/a')).toEqual([503])
    expect(await hit(app, '/c')).toEqual([200])
    expect(
      app.circuitBreakers
        .list()
        .map((b) => b.name)
        .sort(),
    ).toEqual(['GET /a', 'GET /c'])
  })
})

describe('invalid options are rejected, never defaulted', () => {
  it.each([
    [{ threshold: 0 }, 'threshold'],
    [{ threshold: -1 }, 'threshold'],
    [{ threshold: Number.NaN }, 'threshold'],
    [{ threshold: '5' }, 'threshold'],
    [{ timeout: 0 }, 'timeout'],
    [{ resetTimeout: 0 }, 'resetTimeout'],
    [{ resetTimeout: 1.5 }, 'resetTimeout'],
    [{ cache: 0 }, 'cache'],
    [{ timeoutErrorMessage: 5 }, 'timeoutErrorMessage'],
    [{ circuitOpenErrorMessage: null }, 'circuitOpenErrorMessage'],
    [{ onCircuitOpen: 'nope' }, 'onCircuitOpen'],
    [{ onTimeout: {} }, 'onTimeout'],
    [{ global: 'yes' }, 'global'],
    [{ statusRoute: 'circuits' }, 'statusRoute'],
    [{ tresshold: 5 }, 'tresshold'],
    [{ fallback: () => 1 }, 'fallback'],
    [{ isFailure: () => true }, 'isFailure'],
    [{ key: 'tenant' }, 'key'],
    [{ detectError: true }, 'detectError'],
    [{ name: 'all' }, 'name'],
    [{ threshold: 3, errorThreshold: 3 }, 'threshold'],
    [{ strategy: 'rate', threshold: 3 }, 'threshold'],
  ])('at registration: %j names %s', async (options, option) => {
    const app = Fastify()
    const error = await app.register(circuitBreaker, options as object).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isInvalidOptionsError(error)).toBe(true)
    expect((error as { option: string }).option).toBe(option)
  })

  it.each([
    [{ threshold: 0 }, 'threshold'],
    [{ timeout: -5 }, 'timeout'],
    [{ resetTimeout: Number.POSITIVE_INFINITY }, 'resetTimeout'],
    [{ recoveryTimeout: 0 }, 'recoveryTimeout'],
    [{ onTimeout: 1 }, 'onTimeout'],
    [{ cache: 5 }, 'cache'],
  ])('at app.circuitBreaker(): %j names %s', async (options, option) => {
    const { app } = await appWith()
    expect(() => app.circuitBreaker(options as object)).toThrow(
      expect.objectContaining({ option, code: 'ERR_CIRCUIT_OPTIONS' }),
    )
  })
})
