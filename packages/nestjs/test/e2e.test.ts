import { Module } from '@nestjs/common'
import { TerminusModule } from '@nestjs/terminus'
import { CircuitBreakerRegistry } from '@tripswitch/core'
import { FakeClock } from '@tripswitch/core/testing'
import { beforeEach, describe, expect, it } from 'vitest'
import { TripswitchModule } from '../src/index.ts'
import {
  ConfigModule,
  ConfigService,
  DefaultsController,
  FallbackController,
  HealthController,
  OfferController,
  OptionsController,
  resetUpstream,
  StreamController,
  upstream,
} from './e2e/scenarios.ts'
import { PLATFORMS, serve, statuses } from './e2e/server.ts'

// Real servers: @nestjs/testing compiles the module, each platform serves it on a free port,
// fetch talks to it. Time is a FakeClock given to TripswitchModule; nothing sleeps.

beforeEach(resetUpstream)

describe.each(PLATFORMS)('on a real %s server', (_platform, adapter) => {
  async function start(clock = new FakeClock(1_000_000)) {
    @Module({
      imports: [TripswitchModule.forRoot({ clock })],
      controllers: [OfferController, OptionsController, StreamController, FallbackController],
    })
    class AppModule {}
    const server = await serve(AppModule, adapter)
    return { clock, server, registry: server.app.get(CircuitBreakerRegistry) }
  }

  it('trips after 3 failures and answers 503 with core body, Retry-After and no-store', async () => {
    const { server, registry } = await start()
    upstream.status = 500
    expect(await statuses(server, '/offer', 2)).toEqual([500, 500])
    upstream.status = 502 // a plain Error: Nest answers 500, and it counts as a failure
    const third = await server.get('/offer')
    expect(third).toMatchObject({
      status: 500,
      body: { statusCode: 500, message: 'Internal server error' },
    })
    expect(registry.get('OfferController.offer').state).toBe('open')

    const refused = await server.get('/offer')
    expect(refused.status).toBe(503)
    expect(refused.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'ERR_CIRCUIT_OPEN',
      message: 'Circuit open',
      circuit: 'OfferController.offer',
      retryAfter: 5,
    })
    expect(refused.headers.get('retry-after')).toBe('5')
    expect(refused.headers.get('cache-control')).toBe('no-store')
    expect(refused.headers.get('content-type')).toMatch(/^application\/json/)
    expect(JSON.stringify(refused.body)).not.toMatch(/10\.0\.0\.7|upstream down|stack/)
    expect(upstream.calls).toBe(3)
  })

  it('counts a 4xx HttpException as a success and passes it through', async () => {
    const { server, registry } = await start()
    upstream.status = 400
    const answer = await server.get('/offer')
    expect(answer).toMatchObject({
      status: 400,
      body: { statusCode: 400, message: 'bad input', error: 'Bad Request' },
    })
    expect(answer.headers.get('retry-after')).toBeNull()
    expect(await statuses(server, '/offer', 5)).toEqual([400, 400, 400, 400, 400])
    expect(registry.get('OfferController.offer').state).toBe('closed')
    expect(upstream.calls).toBe(6)
  })

  it('recovers through a half-open probe on the FakeClock, and reopens when it fails', async () => {
    const { clock, server, registry } = await start()
    upstream.status = 500
    await statuses(server, '/offer', 3)
    clock.advance(4_001)
    const refused = await server.get('/offer')
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('1')

    clock.advance(999)
    expect((await server.get('/offer')).status).toBe(500) // the probe fails: open again
    expect(registry.get('OfferController.offer').state).toBe('open')
    expect((await server.get('/offer')).headers.get('retry-after')).toBe('5')

    clock.advance(5_000)
    upstream.status = 200
    expect(await server.get('/offer')).toMatchObject({ status: 200, body: { ok: true } })
    expect(registry.get('OfferController.offer').state).toBe('closed')
    expect(await statuses(server, '/offer', 2)).toEqual([200, 200])
  })

  it('leaves undecorated handlers alone', async () => {
    const { server, registry } = await start()
    upstream.status = 500
    expect(await statuses(server, '/offer/plain', 5)).toEqual([500, 500, 500, 500, 500])
    expect(registry.size).toBe(0)
  })

  it('applies class options, with handler options overriding them (guarded once)', async () => {
    const { server, registry } = await start()
    upstream.status = 500
    expect(await statuses(server, '/options/class', 4)).toEqual([500, 500, 500, 503])
    expect(registry.get('OptionsController.fromClass').state).toBe('open')

    // Handler: its own name and threshold; class and handler decorators count one call once.
    expect(await statuses(server, '/options/handler', 3)).toEqual([500, 500, 503])
    const refused = await server.get('/options/handler')
    expect(refused.body).toMatchObject({ circuit: 'handler-circuit', retryAfter: 9 })
    expect(registry.get('handler-circuit').snapshot().failures).toBe(2)
    expect(upstream.calls).toBe(5)
  })

  it('counts an observable that emits, then errors on a later turn, as a failure', async () => {
    const { server, registry } = await start()
    expect(await server.get('/stream/late')).toMatchObject({ status: 200, body: 'done' })
    upstream.status = 500
    expect(await statuses(server, '/stream/late', 3)).toEqual([500, 500, 503])
    expect(registry.get('StreamController.late').state).toBe('open')
  })

  it('answers refused requests with the fallback, as a normal response', async () => {
    const { server, registry } = await start()
    upstream.status = 500
    expect((await server.get('/fallback')).status).toBe(500)
    const answer = await server.get('/fallback')
    expect(answer).toMatchObject({ status: 200, body: { cached: true } })
    expect(answer.headers.get('retry-after')).toBeNull()
    expect(await statuses(server, '/fallback/async', 1)).toEqual([500])
    expect(await server.get('/fallback/async')).toMatchObject({
      status: 200,
      body: { cached: 'async' },
    })
    expect(registry.listOpen().map((breaker) => breaker.name)).toEqual([
      'FallbackController.offer',
      'FallbackController.later',
    ])
    expect(upstream.calls).toBe(2)
  })

  it('is configured by forRootAsync (useFactory with inject)', async () => {
    const clock = new FakeClock()
    @Module({
      imports: [
        TripswitchModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            clock,
            defaults: {
              errorThreshold: config.errorThreshold,
              recoveryTimeout: config.recoveryTimeout,
            },
          }),
        }),
      ],
      controllers: [DefaultsController],
    })
    class AsyncModule {}
    const server = await serve(AsyncModule, adapter)
    upstream.status = 500
    expect(await statuses(server, '/async', 2)).toEqual([500, 503])
    expect((await server.get('/async')).headers.get('retry-after')).toBe('7')
    clock.advance(7_000)
    upstream.status = 200
    expect(await statuses(server, '/async', 2)).toEqual([200, 200])
  })

  it('answers a Terminus health check 200 while closed, 503 while a circuit is open', async () => {
    const clock = new FakeClock()
    @Module({
      imports: [TerminusModule.forRoot({ logger: false }), TripswitchModule.forRoot({ clock })],
      controllers: [HealthController, OfferController],
    })
    class HealthModule {}
    const server = await serve(HealthModule, adapter)
    const healthy = await server.get('/health')
    expect(healthy).toMatchObject({
      status: 200,
      body: { status: 'ok', info: { circuits: { status: 'up', open: [] } } },
    })

    upstream.status = 500
    await statuses(server, '/offer', 3)
    const down = await server.get('/health')
    expect(down.status).toBe(503)
    expect(down.body).toMatchObject({
      status: 'error',
      error: { circuits: { status: 'down', open: ['OfferController.offer'] } },
    })

    clock.advance(5_000)
    upstream.status = 200
    expect((await server.get('/offer')).status).toBe(200)
    expect((await server.get('/health')).status).toBe(200)
  })
})
