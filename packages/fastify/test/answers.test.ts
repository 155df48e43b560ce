import { Readable } from 'node:stream'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { describe, expect, it } from 'vitest'
import circuitBreaker, {
  type CircuitAnswerHook,
  type CircuitBreakerRouteOptions,
} from '../src/index.ts'
import { appWith, deferred, OPEN_BODY, statusHandler, TIMEOUT_BODY } from './support.ts'

/** An app whose `/` route trips on the first 500, with `options` on the route. */
async function openApp(options: CircuitBreakerRouteOptions, plugin: object = {}) {
  const { app, clock } = await appWith({ threshold: 1, ...plugin })
  app.get('/', { preHandler: app.circuitBreaker(options) }, statusHandler)
  return { app, clock }
}

/** Starts a request to `/slow`, lets its timeout fire, and returns the answer. */
async function timedOut(
  options: CircuitBreakerRouteOptions,
  setUp?: (app: FastifyInstance) => void,
) {
  const { app, clock } = await appWith({ timeout: 100 })
  setUp?.(app)
  const entered = deferred()
  const release = deferred()
  app.get('/slow', { preHandler: app.circuitBreaker(options) }, async () => {
    entered.resolve()
    await release.promise
    return 'late'
  })
  const pending = app.inject('/slow').then((response) => response)
  await entered.promise
  clock.advance(100)
  const answer = await pending
  release.resolve()
  return answer
}

describe('onCircuitOpen', () => {
  const hooks: Array<[string, CircuitAnswerHook]> = [
    ['sync', () => 'come back later'],
    ['async', async () => 'come back later'],
  ]

  it.each(hooks)(
    '%s: its return value answers refused and tripping requests, status preset to 503',
    async (_, hook) => {
      const { app } = await openApp({ onCircuitOpen: hook })
      for (const answer of [await app.inject('/?status=500'), await app.inject('/')]) {
        expect(answer.statusCode).toBe(503)
        expect(answer.body).toBe('come back later')
        expect(answer.headers['content-type']).toMatch(/^text\/plain/)
        expect(answer.headers['retry-after']).toBe('10')
        expect(answer.headers['cache-control']).toBe('no-store')
      }
    },
  )

  it('may change the status and return an object, sent as JSON', async () => {
    const onCircuitOpen = (_request: FastifyRequest, reply: FastifyReply) => {
      reply.code(429)
      return { busy: true }
    }
    const { app } = await openApp({ onCircuitOpen })
    for (const answer of [await app.inject('/?status=500'), await app.inject('/')]) {
      expect(answer.statusCode).toBe(429)
      expect(answer.json()).toEqual({ busy: true })
    }
  })

  it('sends a Buffer or a stream as is, and nothing for undefined', async () => {
    let result: unknown = Buffer.from('bytes')
    const { app } = await openApp({ onCircuitOpen: () => result })
    expect((await app.inject('/?status=500')).body).toBe('bytes')
    result = Readable.from(['str', 'eam'])
    expect((await app.inject('/')).body).toBe('stream')
    result = undefined
    const empty = await app.inject('/')
    expect(empty.statusCode).toBe(503)
    expect(empty.body).toBe('')
  })

  it.each([
    [
      'throws',
      () => {
        throw new Error('custom')
      },
    ],
    [
      'rejects',
      async () => {
        throw new Error('custom')
      },
    ],
    ['returns an error', () => new Error('custom')],
  ])('that %s goes to the error handler', async (_, onCircuitOpen) => {
    const seen: string[] = []
    const { app } = await appWith({ threshold: 1, onCircuitOpen })
    app.setErrorHandler((error: Error, _request, reply) => {
      seen.push(error.message)
      return reply.code(500).send({ handled: error.message })
    })
    app.get('/', { preHandler: app.circuitBreaker() }, statusHandler)
    const tripping = await app.inject('/?status=500')
    expect(tripping.statusCode).toBe(500)
    const refused = await app.inject('/')
    expect(refused.statusCode).toBe(500)
    expect(refused.json()).toEqual({ handled: 'custom' })
    expect(seen).toEqual(['custom', 'custom'])
  })

  it('on a route wins over the plugin', async () => {
    const { app } = await openApp(
      { onCircuitOpen: () => 'route' },
      { onCircuitOpen: () => 'plugin' },
    )
    app.get('/other', { preHandler: app.circuitBreaker() }, statusHandler)
    expect((await app.inject('/?status=500')).body).toBe('route')
    expect((await app.inject('/other?status=500')).body).toBe('plugin')
  })

  it('without a hook, a custom error handler receives the open error with status and headers set', async () => {
    const { app } = await appWith({ threshold: 1 })
    app.setErrorHandler((error: Error & { code?: string; circuit?: string }, _request, reply) => {
      return reply.send({ code: error.code, circuit: error.circuit, status: reply.statusCode })
    })
    app.get('/', { preHandler: app.circuitBreaker() }, statusHandler)
    await app.inject('/?status=500')
    const refused = await app.inject('/')
    expect(refused.statusCode).toBe(503)
    expect(refused.headers['retry-after']).toBe('10')
    expect(refused.json()).toEqual({
      code: 'FST_ERR_CIRCUIT_BREAKER_OPEN',
      circuit: 'GET /',
      status: 503,
    })
  })
})

describe('onTimeout', () => {
  it.each([
    ['sync', () => 'too slow'],
    ['async', async () => 'too slow'],
  ])('%s: its return value answers, status preset to 503', async (_, onTimeout) => {
    const answer = await timedOut({ onTimeout })
    expect(answer.statusCode).toBe(503)
    expect(answer.body).toBe('too slow')
  })

  it('may change the status', async () => {
    const answer = await timedOut({
      onTimeout: (_request, reply) => {
        reply.code(504)
        return { timedOut: true }
      },
    })
    expect(answer.statusCode).toBe(504)
    expect(answer.json()).toEqual({ timedOut: true })
  })

  it('that throws goes to the error handler', async () => {
    const answer = await timedOut(
      {
        onTimeout: async () => {
          throw new Error('slow')
        },
      },
      (app) =>
        app.setErrorHandler((error: Error, _request, reply) =>
          reply.code(502).send({ handled: error.message }),
        ),
    )
    expect(answer.statusCode).toBe(502)
    expect(answer.json()).toEqual({ handled: 'slow' })
  })

  it('also replaces the reply of a handler found too slow only when it answers', async () => {
    let now = 0
    const app = Fastify()
    const onTimeout = async (_request: FastifyRequest, reply: FastifyReply) => {
      reply.code(504)
      return { slow: true }
    }
    await app.register(circuitBreaker, { clock: { now: () => now }, timeout: 100, onTimeout })
    app.get('/', { preHandler: app.circuitBreaker() }, (_request, reply) => {
      now += 150
      reply.type('text/plain').send('finished')
    })
    const answer = await app.inject('/')
    expect(answer.statusCode).toBe(504)
    expect(answer.headers['content-type']).toMatch(/^application\/json/)
    expect(answer.json()).toEqual({ slow: true })
  })

  it('without a hook answers the timeout error', async () => {
    expect((await timedOut({})).json()).toEqual(TIMEOUT_BODY)
  })
})

describe('the answer replacing a tripping reply', () => {
  it('replaces a thrown 500 with the open error', async () => {
    const { app } = await appWith({ threshold: 1 })
    app.get('/', { preHandler: app.circuitBreaker() }, async () => {
      throw new Error('database down')
    })
    const tripping = await app.inject('/')
    expect(tripping.statusCode).toBe(503)
    expect(tripping.json()).toEqual(OPEN_BODY)
    expect(tripping.body).not.toContain('database')
  })
})
