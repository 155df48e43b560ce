import type { CircuitBreaker } from '@tripswitch/core'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import type { CircuitBreakerRouteOptions } from '../src/index.ts'
import { appWith, deferred, flush } from './support.ts'

// Every request a circuit admits is settled exactly once, whatever the user's hooks or the
// route do, and nothing the plugin runs from a hook or timer may crash the process (vitest fails
// the run on an uncaught error or unhandled rejection). Real server on 127.0.0.1, fetch.

let app: FastifyInstance | undefined

afterEach(async () => {
  // fetch may hold a spare connection that has carried no request: Fastify's close would wait
  // out its keep-alive (4 s) rather than count it idle.
  app?.server.closeAllConnections()
  await app?.close()
  app = undefined
})

type Route = (request: FastifyRequest, reply: FastifyReply) => unknown

/** Yields to the event loop until `done()` holds; socket work needs no timer to finish. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !done(); i++) await flush()
  expect(done()).toBe(true)
}

/**
 * `GET /svc` under a circuit with `options` (threshold 1, resetTimeout 1 s): its first request
 * answers 500 and trips it, later ones run `route`. Served on 127.0.0.1; the circuit is open.
 */
async function tripped(options: CircuitBreakerRouteOptions, route: Route) {
  const setup = await appWith({ threshold: 1, resetTimeout: 1_000 })
  app = setup.app
  let tripping = true
  setup.app.get(
    '/svc',
    { preHandler: setup.app.circuitBreaker(options) },
    async (request, reply) => {
      if (!tripping) return route(request, reply)
      tripping = false
      return reply.code(500).send({ tripping: true })
    },
  )
  const base = await setup.app.listen({ port: 0, host: '127.0.0.1' })
  expect((await fetch(`${base}/svc`)).status).toBe(503)
  const breaker: CircuitBreaker = setup.app.circuitBreakers.get('GET /svc')
  expect(breaker.state).toBe('open')
  const failures: unknown[] = []
  breaker.on('failure', ({ error }) => failures.push(error))
  return { base, breaker, clock: setup.clock, failures }
}

const BAD_KEYS: ReadonlyArray<readonly [string, unknown]> = [
  ['undefined', undefined],
  ['a number', 42],
  ['an empty string', ''],
  ['a 100,000-character string', 'k'.repeat(100_000)],
]

describe('a key(request) that gives no usable key', () => {
  it.each(BAD_KEYS)('answers %s with an error, never running the route', async (_what, bad) => {
    const setup = await appWith()
    app = setup.app
    let handled = 0
    const key = (() => bad) as unknown as (request: FastifyRequest) => string
    setup.app.get('/x', { preHandler: setup.app.circuitBreaker({ key }) }, async () => {
      handled++
      return 'ran'
    })
    const base = await setup.app.listen({ port: 0, host: '127.0.0.1' })
    const answer = await fetch(`${base}/x`)
    expect(answer.status).toBe(500)
    const body = (await answer.json()) as { code: string; message: string }
    expect(body.code).toBe('ERR_CIRCUIT_OPTIONS')
    expect(body.message).toMatch(/^Option "key" must be a non-empty string/)
    // At most the first 100 characters of the bad value are quoted.
    expect(body.message.length).toBeLessThan(250)
    expect(handled).toBe(0)
    expect(setup.app.circuitBreakers.size).toBe(0)
  })
})

describe('a half-open probe settles once, freeing its slot, when', () => {
  it('detectError throws: a failure reported with what it threw; the circuit reopens', async () => {
    const bug = new Error('detectError bug')
    const detectError = () => {
      throw bug
    }
    const { base, breaker, clock, failures } = await tripped({ detectError }, () => 'fine')
    // detectError threw on the tripping request too: that failure opened the circuit.
    clock.advance(1_000)
    const probe = await fetch(`${base}/svc`)
    expect(probe.status).toBe(200)
    expect(await probe.text()).toBe('fine')
    expect(breaker.activeCalls).toBe(0)
    expect(breaker.state).toBe('open')
    expect(failures).toEqual([bug])
  })

  it('the route throws synchronously', async () => {
    const route: Route = () => {
      throw new Error('sync')
    }
    const { base, breaker, clock } = await tripped({}, route)
    clock.advance(1_000)
    expect((await fetch(`${base}/svc`)).status).toBe(500)
    expect(breaker.activeCalls).toBe(0)
    expect(breaker.state).toBe('open')
  })

  it('the route rejects', async () => {
    const route: Route = async () => {
      await Promise.resolve()
      throw new Error('async')
    }
    const { base, breaker, clock } = await tripped({}, route)
    clock.advance(1_000)
    expect((await fetch(`${base}/svc`)).status).toBe(500)
    expect(breaker.activeCalls).toBe(0)
    expect(breaker.state).toBe('open')
  })

  it('the client aborts: ignored, the next request probes', async () => {
    const entered = deferred()
    const release = deferred()
    let hang = true
    const route: Route = async (_request, reply) => {
      if (!hang) return reply.code(200).send('probe ok')
      entered.resolve()
      await release.promise
      return reply.code(500).send('too late')
    }
    const { base, breaker, clock } = await tripped({}, route)
    clock.advance(1_000)
    const controller = new AbortController()
    const aborted = fetch(`${base}/svc`, { signal: controller.signal }).catch((e: unknown) => e)
    await entered.promise
    expect(breaker.activeCalls).toBe(1)
    expect((await fetch(`${base}/svc`)).status).toBe(503)
    controller.abort()
    expect(await aborted).toBeInstanceOf(Error)
    await until(() => breaker.activeCalls === 0)
    hang = false
    release.resolve()
    const next = await fetch(`${base}/svc`)
    expect(next.status).toBe(200)
    expect(breaker.state).toBe('closed')
  })

  it('it times out and onTimeout throws: a failure, the error handler answers', async () => {
    const entered = deferred()
    const release = deferred()
    const onTimeout = () => {
      throw new Error('onTimeout bug')
    }
    const route: Route = async () => {
      entered.resolve()
      await release.promise
      return 'late'
    }
    const { base, breaker, clock, failures } = await tripped({ timeout: 500, onTimeout }, route)
    clock.advance(1_000)
    const probe = fetch(`${base}/svc`)
    await entered.promise
    clock.advance(500)
    const answer = await probe
    // The status stays the preset 503; the error handler answers with the hook's error.
    expect(answer.status).toBe(503)
    expect(await answer.json()).toMatchObject({ message: 'onTimeout bug' })
    expect(breaker.activeCalls).toBe(0)
    expect(breaker.state).toBe('open')
    expect(failures).toHaveLength(1)
    release.resolve()
    await flush()
    expect(breaker.activeCalls).toBe(0)
  })

  it('it times out and onTimeout rejects', async () => {
    const entered = deferred()
    const onTimeout = async () => {
      await Promise.resolve()
      throw new Error('async onTimeout bug')
    }
    const route: Route = async () => {
      entered.resolve()
      return new Promise(() => undefined)
    }
    const { base, breaker, clock } = await tripped({ timeout: 500, onTimeout }, route)
    clock.advance(1_000)
    const probe = fetch(`${base}/svc`)
    await entered.promise
    clock.advance(500)
    expect(await (await probe).json()).toMatchObject({ message: 'async onTimeout bug' })
    expect(breaker.activeCalls).toBe(0)
    expect(breaker.state).toBe('open')
  })
})

describe('onCircuitOpen', () => {
  it.each([
    [
      'throws',
      () => {
        throw new Error('onCircuitOpen bug')
      },
    ],
    ['rejects', () => Promise.reject(new Error('onCircuitOpen bug'))],
  ])('that %s goes to the error handler; the process keeps serving', async (_how, hook) => {
    const { base, breaker } = await tripped({ onCircuitOpen: hook }, () => 'fine')
    for (let i = 0; i < 2; i++) {
      const refused = await fetch(`${base}/svc`)
      expect(refused.status).toBe(503)
      expect(await refused.json()).toMatchObject({ message: 'onCircuitOpen bug' })
    }
    expect(breaker.activeCalls).toBe(0)
  })
})

describe('a closed circuit', () => {
  it('counts a throwing detectError as a failure that can trip it', async () => {
    const setup = await appWith({ threshold: 2 })
    app = setup.app
    const detectError = () => {
      throw new Error('bug')
    }
    setup.app.get('/', { preHandler: setup.app.circuitBreaker({ detectError }) }, async () => 'ok')
    const base = await setup.app.listen({ port: 0, host: '127.0.0.1' })
    expect((await fetch(base)).status).toBe(200)
    expect((await fetch(base)).status).toBe(503)
    const breaker = setup.app.circuitBreakers.get('GET /')
    expect(breaker.state).toBe('open')
    expect(breaker.activeCalls).toBe(0)
  })
})

describe('maxConcurrent', () => {
  it('answers 503 ERR_CIRCUIT_BUSY past the bound, counting nothing', async () => {
    const setup = await appWith()
    app = setup.app
    const entered = deferred()
    const release = deferred()
    const preHandler = setup.app.circuitBreaker({ maxConcurrent: 1 })
    setup.app.get('/x', { preHandler }, async () => {
      entered.resolve()
      await release.promise
      return 'done'
    })
    const base = await setup.app.listen({ port: 0, host: '127.0.0.1' })
    const first = fetch(`${base}/x`)
    await entered.promise
    const busy = await fetch(`${base}/x`)
    expect(busy.status).toBe(503)
    expect(busy.headers.get('cache-control')).toBe('no-store')
    expect(await busy.json()).toMatchObject({ statusCode: 503, code: 'ERR_CIRCUIT_BUSY' })
    release.resolve()
    expect(await (await first).text()).toBe('done')
    const breaker = setup.app.circuitBreakers.get('GET /x')
    expect(breaker.activeCalls).toBe(0)
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', failures: 0, successes: 1 })
  })
})

describe("mode: 'shadow'", () => {
  it('never replaces an answer: the tripping reply and later ones go out as they are', async () => {
    const setup = await appWith({ threshold: 1 })
    app = setup.app
    const preHandler = setup.app.circuitBreaker({ mode: 'shadow' })
    setup.app.get('/x', { preHandler }, async (_request, reply) => reply.code(500).send('own'))
    const base = await setup.app.listen({ port: 0, host: '127.0.0.1' })
    const rejects: Array<boolean | undefined> = []
    for (let i = 0; i < 2; i++) {
      const answer = await fetch(`${base}/x`)
      expect(answer.status).toBe(500)
      expect(await answer.text()).toBe('own')
      const breaker = setup.app.circuitBreakers.get('GET /x')
      if (i === 0) breaker.on('reject', ({ shadow }) => rejects.push(shadow))
      expect(breaker.state).toBe('open')
      expect(breaker.activeCalls).toBe(0)
    }
    expect(rejects).toEqual([true])
  })
})
