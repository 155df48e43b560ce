import { type InvalidOptionsError, isInvalidOptionsError } from '@tripswitch/core'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import circuitBreaker, { type FastifyCircuitBreakerOptions } from '../src/index.ts'
import { appWith, deferred, FakeClock, statusHandler } from './support.ts'

// Only an options object's own properties are options: a key `__proto__` (as JSON.parse makes
// it) must not smuggle values past validation, and nothing set on Object.prototype may become a
// setting.

let app: FastifyInstance | undefined

afterEach(async () => {
  app?.server.closeAllConnections()
  await app?.close()
  app = undefined
})

const SMUGGLING = '{"__proto__": {"timeout": 1, "threshold": 1}}'

function invalid(error: unknown): InvalidOptionsError {
  expect(isInvalidOptionsError(error)).toBe(true)
  return error as InvalidOptionsError
}

function thrownBy(run: () => unknown): unknown {
  try {
    run()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

describe('an own __proto__ key', () => {
  it('fails the plugin registration, naming it', async () => {
    const options = JSON.parse(SMUGGLING) as FastifyCircuitBreakerOptions
    const error = await Fastify()
      .register(circuitBreaker, options)
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(invalid(error).option).toBe('__proto__')
  })

  it('is refused in app.circuitBreaker() and in a route config', async () => {
    const setup = await appWith()
    app = setup.app
    const options = JSON.parse(SMUGGLING) as FastifyCircuitBreakerOptions
    expect(invalid(thrownBy(() => setup.app.circuitBreaker(options))).option).toBe('__proto__')
    const route = () => setup.app.get('/', { config: { circuitBreaker: options } }, statusHandler)
    expect(invalid(thrownBy(route)).option).toBe('config.circuitBreaker.__proto__')
  })
})

describe('values set on Object.prototype', () => {
  it('never become plugin, circuit or route settings', async () => {
    const clock = new FakeClock(1_000_000)
    const instance = Fastify()
    app = instance
    const polluted = Object.prototype as Record<string, unknown>
    const planted = { timeout: 1, threshold: 1, circuitBreaker: {}, global: true }
    try {
      Object.assign(polluted, planted)
      await instance.register(circuitBreaker, { clock })
      instance.get(
        '/guarded',
        { preHandler: instance.circuitBreaker() },
        async (request, reply) => {
          entered.resolve()
          await gate.promise
          return statusHandler(request, reply)
        },
      )
      instance.get('/plain', statusHandler)
    } finally {
      for (const key of Object.keys(planted)) delete polluted[key]
    }
    const entered = deferred()
    const gate = deferred()
    const base = await instance.listen({ port: 0, host: '127.0.0.1' })

    // timeout is the 10 s default, not the planted 1 ms.
    const slow = fetch(`${base}/guarded`)
    await entered.promise
    clock.advance(9_999)
    gate.resolve()
    expect((await slow).status).toBe(200)
    // threshold is the default 5, not the planted 1.
    expect((await fetch(`${base}/guarded?status=500`)).status).toBe(500)
    expect(instance.circuitBreakers.get('GET /guarded').state).toBe('closed')
    // Neither `global` nor a `config.circuitBreaker` was read through the prototype.
    expect((await fetch(`${base}/plain?status=500`)).status).toBe(500)
    expect(instance.circuitBreakers.has('GET /plain')).toBe(false)
  })
})
