import {
  BadRequestException,
  Controller,
  Get,
  Inject,
  InternalServerErrorException,
  Module,
} from '@nestjs/common'
import { CircuitBreakerRegistry } from '@tripswitch/core'
import { FakeClock } from '@tripswitch/core/testing'
import { describe, expect, it } from 'vitest'
import { CircuitBreaker, TripswitchModule } from '../src/index.ts'
import { boot, caller, PLATFORMS, statuses } from './helpers.ts'

const upstream = { status: 200, calls: 0 }

function answer(): { ok: true } {
  upstream.calls++
  if (upstream.status === 400) throw new BadRequestException('bad input')
  if (upstream.status >= 500) throw new InternalServerErrorException('upstream down')
  return { ok: true }
}

@Controller('offer')
class OfferController {
  @Get()
  @CircuitBreaker({ errorThreshold: 2, recoveryTimeout: 5_000 })
  offer() {
    return answer()
  }

  @Get('plain')
  plain() {
    upstream.calls++
    throw new Error('not guarded')
  }
}

async function app(clock = new FakeClock(1_000_000)) {
  @Module({ imports: [TripswitchModule.forRoot({ clock })], controllers: [OfferController] })
  class AppModule {}
  upstream.status = 200
  upstream.calls = 0
  const context = await boot(AppModule)
  return { clock, context, registry: context.get(CircuitBreakerRegistry) }
}

describe.each(PLATFORMS)('@CircuitBreaker() on %s', (_name, platform) => {
  it('trips after errorThreshold failures and answers 503 with core body and headers', async () => {
    const { context, registry } = await app()
    const call = caller(context, OfferController, 'offer', platform)
    upstream.status = 500
    expect(await statuses(call, 2)).toEqual([500, 500])
    expect(registry.get('OfferController.offer').state).toBe('open')

    const refused = await call()
    expect(refused.status).toBe(503)
    expect(refused.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'ERR_CIRCUIT_OPEN',
      message: 'Circuit open',
      circuit: 'OfferController.offer',
      retryAfter: 5,
    })
    expect(refused.headers).toEqual({ 'retry-after': '5', 'cache-control': 'no-store' })
    expect(upstream.calls).toBe(2)
  })

  it('counts a 4xx HttpException as a success', async () => {
    const { context, registry } = await app()
    const call = caller(context, OfferController, 'offer', platform)
    upstream.status = 400
    expect(await statuses(call, 4)).toEqual([400, 400, 400, 400])
    expect(registry.get('OfferController.offer').state).toBe('closed')
  })

  it('recovers through a half-open probe on the injected clock', async () => {
    const { clock, context, registry } = await app()
    const call = caller(context, OfferController, 'offer', platform)
    upstream.status = 500
    await statuses(call, 2)
    clock.advance(4_999)
    expect((await call()).status).toBe(503)
    clock.advance(1)
    upstream.status = 200
    expect(await call()).toMatchObject({ status: 200, body: { ok: true } })
    expect(registry.get('OfferController.offer').state).toBe('closed')
  })

  it('reopens when the probe fails', async () => {
    const { clock, context, registry } = await app()
    const call = caller(context, OfferController, 'offer', platform)
    upstream.status = 500
    await statuses(call, 2)
    clock.advance(5_000)
    expect((await call()).status).toBe(500)
    expect(registry.get('OfferController.offer').state).toBe('open')
    expect((await call()).headers['retry-after']).toBe('5')
  })

  it('leaves undecorated handlers alone', async () => {
    const { context, registry } = await app()
    const call = caller(context, OfferController, 'plain', platform)
    expect(await statuses(call, 6)).toEqual([500, 500, 500, 500, 500, 500])
    expect(registry.size).toBe(0)
  })
})

@Controller()
class InjectingController {
  constructor(@Inject(CircuitBreakerRegistry) readonly circuits: CircuitBreakerRegistry) {}
}

it('injects the registry by its class', async () => {
  @Module({ imports: [TripswitchModule.forRoot({})], controllers: [InjectingController] })
  class AppModule {}
  const context = await boot(AppModule)
  expect(context.get(InjectingController).circuits).toBe(context.get(CircuitBreakerRegistry))
})
