import type { Clock } from '@tripswitch/core'
import type { FastifyInstance } from 'fastify'
import Fastify from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import circuitBreaker from '../src/index.ts'
import { appWith, deferred, flush, OPEN_BODY, statusHandler } from './support.ts'

let app: FastifyInstance | undefined

afterEach(async () => {
  await app?.close()
  app = undefined
})

async function listen(instance: FastifyInstance): Promise<string> {
  app = instance
  return instance.listen({ port: 0, host: '127.0.0.1' })
}

/** Yields to the event loop until `done()` holds; the socket work needs no timer to finish. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !done(); i++) await flush()
  expect(done()).toBe(true)
}

describe('over a real socket', () => {
  it('trips, answers 503 with Retry-After and no-store, and recovers', async () => {
    const setup = await appWith({ threshold: 2, resetTimeout: 3_000 })
    setup.app.get('/', { preHandler: setup.app.circuitBreaker() }, statusHandler)
    const base = await listen(setup.app)
    expect((await fetch(`${base}/?status=500`)).status).toBe(500)
    const tripping = await fetch(`${base}/?status=500`)
    expect(tripping.status).toBe(503)
    expect(await tripping.json()).toEqual(OPEN_BODY)
    const refused = await fetch(`${base}/`)
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('3')
    expect(refused.headers.get('cache-control')).toBe('no-store')
    expect(refused.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await refused.json()).toEqual(OPEN_BODY)
    setup.clock.advance(3_000)
    const probe = await fetch(`${base}/`)
    expect(probe.status).toBe(200)
    expect(await probe.json()).toEqual({ status: 200 })
  })

  it('ignores a request the client aborted, even when the handler then fails', async () => {
    const setup = await appWith({ threshold: 1 })
    const entered = deferred()
    const release = deferred()
    let handled = false
    setup.app.get('/', { preHandler: setup.app.circuitBreaker() }, async (request, reply) => {
      if (handled) return statusHandler(request, reply)
      entered.resolve()
      await release.promise
      handled = true
      return reply.code(500).send({ failed: true })
    })
    const base = await listen(setup.app)
    const breaker = () => setup.app.circuitBreakers.get('GET /')
    const controller = new AbortController()
    const aborted = fetch(base, { signal: controller.signal }).catch((error: unknown) => error)
    await entered.promise
    expect(breaker().activeCalls).toBe(1)
    controller.abort()
    expect(await aborted).toBeInstanceOf(Error)
    await until(() => breaker().activeCalls === 0)
    release.resolve()
    await until(() => handled)
    await flush()
    expect(breaker().state).toBe('closed')
    expect(breaker().snapshot().consecutiveFailures).toBe(0)
    expect((await fetch(`${base}/?status=200`)).status).toBe(200)
  })

  it('the per-request timeout timer never keeps the process alive', async () => {
    // Real timers here, recorded on their way through the clock.
    const timers: Array<ReturnType<typeof setTimeout>> = []
    const clock: Clock = {
      now: () => Date.now(),
      setTimeout: (callback, ms) => {
        const timer = setTimeout(callback, ms)
        timers.push(timer)
        return timer
      },
      clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
    }
    const instance = Fastify()
    await instance.register(circuitBreaker, { clock, timeout: 60_000 })
    const entered = deferred()
    const release = deferred()
    instance.get('/', { preHandler: instance.circuitBreaker() }, async () => {
      entered.resolve()
      await release.promise
      return 'done'
    })
    const base = await listen(instance)
    const pending = fetch(base)
    await entered.promise
    expect(timers).toHaveLength(1)
    expect(timers[0]!.hasRef()).toBe(false)
    release.resolve()
    expect(await (await pending).text()).toBe('done')
  })
})
