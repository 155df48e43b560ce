import {
  type CircuitBreaker,
  type CircuitBreakerEvents,
  type Clock,
  isCircuitTimeoutError,
} from '@tripswitch/core'
import Fastify, { type FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'
import circuitBreaker from '../src/index.ts'
import { appWith, deferred, OPEN_BODY, statusHandler, TIMEOUT_BODY } from './support.ts'

type Recorded = { [K in keyof CircuitBreakerEvents]: [K, CircuitBreakerEvents[K]] }[
  | 'success'
  | 'failure'
  | 'timeout']

/** Records `success`, `failure` and `timeout` of `breaker`, in the order they are emitted. */
function record(breaker: CircuitBreaker): Recorded[] {
  const events: Recorded[] = []
  breaker.on('success', (payload) => events.push(['success', payload]))
  breaker.on('failure', (payload) => events.push(['failure', payload]))
  breaker.on('timeout', (payload) => events.push(['timeout', payload]))
  return events
}

/** The breaker of the circuit named `name`, once the routes are bound. */
async function breakerOf(app: FastifyInstance, name: string): Promise<CircuitBreaker> {
  await app.ready()
  return app.circuitBreakers.get(name)
}

class HttpError extends Error {
  constructor(readonly statusCode: number) {
    super(`status ${statusCode}`)
  }
}

describe('timeout events', () => {
  it('a handler slower than timeout emits timeout, then failure with a CircuitTimeoutError', async () => {
    const { app, clock } = await appWith({ timeout: 100 })
    const entered = deferred()
    const release = deferred()
    // The route's own timeout is the one reported.
    app.get('/slow', { preHandler: app.circuitBreaker({ timeout: 250 }) }, async () => {
      entered.resolve()
      await release.promise
      return 'late'
    })
    const events = record(await breakerOf(app, 'GET /slow'))
    const pending = app.inject('/slow')
    await entered.promise
    clock.advance(249)
    expect(events).toEqual([])
    clock.advance(1)
    const answer = await pending
    release.resolve()
    expect(answer.statusCode).toBe(503)
    expect(answer.json()).toEqual(TIMEOUT_BODY)
    expect(events.map(([event]) => event)).toEqual(['timeout', 'failure'])
    expect(events[0]).toEqual(['timeout', { name: 'GET /slow', timeoutMs: 250 }])
    const [, failure] = events[1]!
    expect(failure).toMatchObject({ name: 'GET /slow', durationMs: 250 })
    const error = (failure as CircuitBreakerEvents['failure']).error
    expect(isCircuitTimeoutError(error)).toBe(true)
    expect(error).toMatchObject({ code: 'ERR_CIRCUIT_TIMEOUT', circuit: 'GET /slow', timeout: 250 })
  })

  it('a handler that blocks past timeout and then answers emits the same events', async () => {
    // A clock whose timers never run: the event loop was blocked, the reply comes late.
    let now = 0
    const clock: Clock = { now: () => now, setTimeout: () => 0, clearTimeout: () => {} }
    const app = Fastify()
    await app.register(circuitBreaker, { clock, timeout: 100 })
    app.get('/', { preHandler: app.circuitBreaker() }, (_request, reply) => {
      now += 150
      reply.send('finished')
    })
    const events = record(await breakerOf(app, 'GET /'))
    const answer = await app.inject('/')
    expect(answer.json()).toEqual(TIMEOUT_BODY)
    expect(events.map(([event]) => event)).toEqual(['timeout', 'failure'])
    expect(events[0]).toEqual(['timeout', { name: 'GET /', timeoutMs: 100 }])
    const failure = events[1]![1] as CircuitBreakerEvents['failure']
    expect(failure.durationMs).toBe(150)
    expect(failure.error).toMatchObject({ code: 'ERR_CIRCUIT_TIMEOUT', timeout: 100 })
  })

  it('only the circuit whose timeout ran out reports a timeout', async () => {
    const { app, clock } = await appWith({ timeout: 100 })
    const entered = deferred()
    const release = deferred()
    const short = app.circuitBreaker({ name: 'short', timeout: 100 })
    const long = app.circuitBreaker({ name: 'long', timeout: 1_000 })
    app.get('/', { preHandler: [long, short] }, async () => {
      entered.resolve()
      await release.promise
      return 'late'
    })
    await app.ready()
    const shortEvents = record(app.circuitBreakers.get('short'))
    const longEvents = record(app.circuitBreakers.get('long'))
    const pending = app.inject('/')
    await entered.promise
    clock.advance(100)
    expect((await pending).json()).toEqual(TIMEOUT_BODY)
    release.resolve()
    expect(shortEvents.map(([event]) => event)).toEqual(['timeout', 'failure'])
    expect(longEvents).toEqual([])
  })
})

describe('failure events', () => {
  it('report the error the handler threw', async () => {
    const { app } = await appWith({ threshold: 5 })
    const thrown = new Error('database down')
    app.get('/', { preHandler: app.circuitBreaker() }, async () => {
      throw thrown
    })
    const events = record(await breakerOf(app, 'GET /'))
    const answer = await app.inject('/')
    expect(answer.statusCode).toBe(500)
    expect(events).toEqual([['failure', { name: 'GET /', error: thrown, durationMs: 0 }]])
  })

  it('report an error sent with reply.send(error), and the one that trips the circuit', async () => {
    const { app } = await appWith({ threshold: 2 })
    const errors = [new HttpError(502), new HttpError(503)]
    let calls = 0
    app.get('/', { preHandler: app.circuitBreaker() }, (_request, reply) => {
      reply.send(errors[calls++])
    })
    const events = record(await breakerOf(app, 'GET /'))
    expect((await app.inject('/')).statusCode).toBe(502)
    const tripping = await app.inject('/')
    // The tripping request is still answered 'Circuit open', without the route's error.
    expect(tripping.json()).toEqual(OPEN_BODY)
    expect(tripping.body).not.toContain('status 503')
    expect(
      events.map(([event, payload]) => [event, (payload as { error: unknown }).error]),
    ).toEqual([
      ['failure', errors[0]],
      ['failure', errors[1]],
    ])
  })

  it('report the handler error even when an error handler chose the 5xx answer', async () => {
    const { app } = await appWith({ threshold: 5 })
    app.setErrorHandler((_error, _request, reply) => reply.code(503).send({ sorry: true }))
    const thrown = new HttpError(400)
    app.get('/', { preHandler: app.circuitBreaker() }, async () => {
      throw thrown
    })
    const events = record(await breakerOf(app, 'GET /'))
    const answer = await app.inject('/')
    expect(answer.statusCode).toBe(503)
    expect(answer.json()).toEqual({ sorry: true })
    expect(events).toEqual([['failure', { name: 'GET /', error: thrown, durationMs: 0 }]])
  })

  it('report error undefined for a plain 5xx reply; 4xx and 2xx replies are successes', async () => {
    const { app, clock } = await appWith({ threshold: 5 })
    app.get('/', { preHandler: app.circuitBreaker() }, async (request, reply) => {
      clock.advance(7)
      return statusHandler(request, reply)
    })
    const events = record(await breakerOf(app, 'GET /'))
    for (const status of [500, 404, 200]) await app.inject(`/?status=${status}`)
    expect(events).toEqual([
      ['failure', { name: 'GET /', error: undefined, durationMs: 7 }],
      ['success', { name: 'GET /', durationMs: 7 }],
      ['success', { name: 'GET /', durationMs: 7 }],
    ])
  })

  it('drop the handler error when the reply counts as a success', async () => {
    const { app } = await appWith({ threshold: 1 })
    app.setErrorHandler((_error, _request, reply) => reply.code(200).send({ recovered: true }))
    app.get('/', { preHandler: app.circuitBreaker() }, async () => {
      throw new Error('handled')
    })
    const events = record(await breakerOf(app, 'GET /'))
    expect((await app.inject('/')).json()).toEqual({ recovered: true })
    expect(events).toEqual([['success', { name: 'GET /', durationMs: 0 }]])
  })

  it('with detectError, report the route error of a reply it calls a failure', async () => {
    const { app } = await appWith({ threshold: 5 })
    const detectError = () => true
    const thrown = new HttpError(404)
    app.get('/', { preHandler: app.circuitBreaker({ detectError }) }, async () => {
      throw thrown
    })
    const events = record(await breakerOf(app, 'GET /'))
    expect((await app.inject('/')).statusCode).toBe(404)
    expect(events).toEqual([['failure', { name: 'GET /', error: thrown, durationMs: 0 }]])
  })
})
