import { Controller, Get, InternalServerErrorException, Module } from '@nestjs/common'
import { CircuitBreakerRegistry, type CircuitOpenError } from '@tripswitch/core'
import { FakeClock } from '@tripswitch/core/testing'
import { of } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { CircuitBreaker, CircuitOpenException, TripswitchModule } from '../src/index.ts'
import { boot, caller, PLATFORMS, statuses } from './helpers.ts'

const refusals: CircuitOpenError[] = []

@Controller()
@CircuitBreaker({ errorThreshold: 1 })
class FallbackController {
  @Get('value')
  @CircuitBreaker({
    fallback: (error) => {
      refusals.push(error)
      return { cached: true }
    },
  })
  value() {
    throw new InternalServerErrorException()
  }

  @Get('promise')
  @CircuitBreaker({ fallback: async () => ({ cached: 'promise' }) })
  promise() {
    throw new InternalServerErrorException()
  }

  @Get('observable')
  @CircuitBreaker({ fallback: () => of({ cached: 'observable' }) })
  observable() {
    throw new InternalServerErrorException()
  }
}

describe.each(PLATFORMS)('fallback on %s', (_name, platform) => {
  it('answers refused requests with a value, a promise or an observable', async () => {
    @Module({
      imports: [TripswitchModule.forRoot({ clock: new FakeClock() })],
      controllers: [FallbackController],
    })
    class AppModule {}
    const context = await boot(AppModule)
    refusals.length = 0
    const value = caller(context, FallbackController, 'value', platform)
    expect(await statuses(value, 1)).toEqual([500])
    const answer = await value()
    expect(answer).toEqual({ status: 200, body: { cached: true }, headers: {} })
    expect(refusals[0]?.circuit).toBe('FallbackController.value')

    for (const method of ['promise', 'observable'] as const) {
      const call = caller(context, FallbackController, method, platform)
      await call()
      expect((await call()).body).toEqual({ cached: method })
    }
    expect(context.get(CircuitBreakerRegistry).listOpen()).toHaveLength(3)
  })
})

describe('CircuitOpenException', () => {
  it('is a 503 HttpException carrying the core error as its cause', async () => {
    const breaker = new CircuitBreakerRegistry({ clock: new FakeClock() }).get('x', {
      errorThreshold: 1,
      recoveryTimeout: 1_500,
    })
    ;(await breaker.acquire()).failure()
    const error = await breaker.acquire().catch((e: CircuitOpenError) => e)
    const exception = new CircuitOpenException(error as CircuitOpenError)
    expect(exception.getStatus()).toBe(503)
    expect(exception.cause).toBe(error)
    expect(exception.retryAfter).toBe(2)
    expect(exception.headers).toEqual({ 'retry-after': '2', 'cache-control': 'no-store' })
    expect(exception.getResponse()).toMatchObject({ code: 'ERR_CIRCUIT_OPEN', circuit: 'x' })
  })
})
