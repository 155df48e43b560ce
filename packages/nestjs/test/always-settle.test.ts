import { Controller, Get, Module } from '@nestjs/common'
import { TerminusModule } from '@nestjs/terminus'
import { type CircuitBreaker as Breaker, CircuitBreakerRegistry } from '@tripswitch/core'
import { FakeClock } from '@tripswitch/core/testing'
import { beforeEach, describe, expect, it } from 'vitest'
import { CircuitBreaker, TripswitchModule } from '../src/index.ts'
import { HealthController } from './e2e/scenarios.ts'
import { PLATFORMS, type Server, serve } from './e2e/server.ts'

// Every call a breaker admits is settled exactly once, whatever the user's hooks or the handler
// do, and nothing the interceptor runs may crash the process (vitest fails the run on an uncaught
// error or unhandled rejection). Real servers of both platforms on 127.0.0.1, fetch; time moves
// on a FakeClock.

/** What the handlers do next; the tests set it. */
const handler = {
  mode: 'fail' as 'fail' | 'ok' | 'sync' | 'async' | 'hang',
  entered: deferred(),
  gate: deferred(),
}

beforeEach(() => {
  handler.mode = 'fail'
  handler.entered = deferred()
  handler.gate = deferred()
})

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void
  const promise = new Promise<void>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

async function run(): Promise<{ ok: true }> {
  if (handler.mode === 'fail' || handler.mode === 'sync') throw new Error(handler.mode)
  if (handler.mode === 'async') {
    await Promise.resolve()
    throw new Error('async')
  }
  if (handler.mode === 'hang') {
    handler.entered.resolve()
    await handler.gate.promise
  }
  return { ok: true }
}

function bug(name: string): () => never {
  return () => {
    throw new Error(`${name} bug`)
  }
}

const TRIP = { errorThreshold: 1, recoveryTimeout: 1_000 } as const

@Controller('svc')
class HardenedController {
  @Get('plain')
  @CircuitBreaker(TRIP)
  plain(): Promise<{ ok: true }> {
    return run()
  }

  @Get('sync')
  @CircuitBreaker(TRIP)
  sync(): { ok: true } {
    if (handler.mode !== 'ok') throw new Error('sync')
    return { ok: true }
  }

  @Get('detect')
  @CircuitBreaker({ ...TRIP, detectError: bug('detectError') })
  detect(): Promise<{ ok: true }> {
    return run()
  }

  @Get('filter')
  @CircuitBreaker({ ...TRIP, isFailure: bug('isFailure') })
  filter(): Promise<{ ok: true }> {
    return run()
  }

  @Get('bounded')
  @CircuitBreaker({ maxConcurrent: 1 })
  bounded(): Promise<{ ok: true }> {
    return run()
  }

  @Get('fallback')
  @CircuitBreaker({ ...TRIP, fallback: bug('fallback') })
  fallback(): Promise<{ ok: true }> {
    return run()
  }
}

/** Yields to the event loop until `done()` holds; socket work needs no timer to finish. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !done(); i++) await new Promise((r) => setImmediate(r))
  expect(done()).toBe(true)
}

describe.each(PLATFORMS)('on a real %s server', (_platform, adapter) => {
  async function start() {
    const clock = new FakeClock(1_000_000)
    @Module({
      imports: [TerminusModule.forRoot({ logger: false }), TripswitchModule.forRoot({ clock })],
      controllers: [HardenedController, HealthController],
    })
    class AppModule {}
    const server = await serve(AppModule, adapter)
    return { clock, server, registry: server.app.get(CircuitBreakerRegistry) }
  }

  /** Trips `/svc/<route>` with one failing call and moves past its open time: half-open. */
  async function halfOpen(route: string): Promise<{ server: Server; breaker: Breaker }> {
    const { clock, server, registry } = await start()
    expect((await server.get(`/svc/${route}`)).status).toBe(500)
    const breaker = registry.get(`HardenedController.${route}`)
    expect(breaker.state).toBe('open')
    clock.advance(1_000)
    return { server, breaker }
  }

  describe('a half-open probe settles once, freeing its slot, when', () => {
    it('detectError throws: a failure, the circuit reopens', async () => {
      const { server, breaker } = await halfOpen('detect')
      const failures: unknown[] = []
      breaker.on('failure', ({ error }) => failures.push(error))
      handler.mode = 'ok'
      expect((await server.get('/svc/detect')).status).toBe(200)
      expect(breaker.activeCalls).toBe(0)
      expect(breaker.state).toBe('open')
      expect(failures).toEqual([new Error('detectError bug')])
    })

    it('isFailure throws on the handler error: a failure, the circuit reopens', async () => {
      const { server, breaker } = await halfOpen('filter')
      expect((await server.get('/svc/filter')).status).toBe(500)
      expect(breaker.activeCalls).toBe(0)
      expect(breaker.state).toBe('open')
      // The process is still serving: the next call is refused, not lost.
      expect((await server.get('/svc/filter')).status).toBe(503)
    })

    it('the handler throws synchronously', async () => {
      const { server, breaker } = await halfOpen('sync')
      expect((await server.get('/svc/sync')).status).toBe(500)
      expect(breaker.activeCalls).toBe(0)
      expect(breaker.state).toBe('open')
    })

    it('the handler rejects', async () => {
      const { server, breaker } = await halfOpen('plain')
      handler.mode = 'async'
      expect((await server.get('/svc/plain')).status).toBe(500)
      expect(breaker.activeCalls).toBe(0)
      expect(breaker.state).toBe('open')
    })

    it('the client aborts while the handler runs: ignored, the next call probes', async () => {
      const { server, breaker } = await halfOpen('plain')
      handler.mode = 'hang'
      const controller = new AbortController()
      const url = `${await server.app.getUrl()}/svc/plain`
      const aborted = fetch(url, { signal: controller.signal }).catch((e: unknown) => e)
      await handler.entered.promise
      expect(breaker.activeCalls).toBe(1)
      expect((await server.get('/svc/plain')).status).toBe(503)
      controller.abort()
      expect(await aborted).toBeInstanceOf(Error)
      // Freed while the handler still runs: the client is gone, the slot must not wait for it.
      await until(() => breaker.activeCalls === 0)
      expect(breaker.state).toBe('half_open')
      handler.mode = 'ok'
      handler.gate.resolve()
      expect((await server.get('/svc/plain')).status).toBe(200)
      expect(breaker.state).toBe('closed')
    })
  })

  it('a throwing fallback answers 500 and leaves no call held; the process keeps serving', async () => {
    const { server, registry } = await start()
    expect((await server.get('/svc/fallback')).status).toBe(500)
    for (let i = 0; i < 2; i++) expect((await server.get('/svc/fallback')).status).toBe(500)
    const breaker = registry.get('HardenedController.fallback')
    expect(breaker.state).toBe('open')
    expect(breaker.activeCalls).toBe(0)
  })

  it('answers 503 ERR_CIRCUIT_BUSY past maxConcurrent, counting nothing', async () => {
    const { server, registry } = await start()
    handler.mode = 'hang'
    const first = server.get('/svc/bounded')
    await handler.entered.promise
    const busy = await server.get('/svc/bounded')
    expect(busy.status).toBe(503)
    expect(busy.headers.get('cache-control')).toBe('no-store')
    expect(busy.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'ERR_CIRCUIT_BUSY',
      message: 'Circuit busy',
      circuit: 'HardenedController.bounded',
    })
    handler.gate.resolve()
    expect((await first).status).toBe(200)
    const breaker = registry.get('HardenedController.bounded')
    expect(breaker.activeCalls).toBe(0)
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', failures: 0, successes: 1 })
  })

  it('the Terminus readiness check goes 503 on a trip and back to 200 once recoveryTimeout has passed, with no call through the breaker', async () => {
    const { clock, server, registry } = await start()
    expect((await server.get('/health')).status).toBe(200)
    expect((await server.get('/svc/plain')).status).toBe(500)
    const down = await server.get('/health')
    expect(down).toMatchObject({
      status: 503,
      body: { error: { circuits: { status: 'down', open: ['HardenedController.plain'] } } },
    })
    clock.advance(999)
    expect((await server.get('/health')).status).toBe(503)
    clock.advance(1)
    const up = await server.get('/health')
    expect(up).toMatchObject({
      status: 200,
      body: { info: { circuits: { status: 'up', open: [] } } },
    })
    const breaker = registry.get('HardenedController.plain')
    expect(breaker.state).toBe('half_open')
    expect(breaker.activeCalls).toBe(0)
  })
})
