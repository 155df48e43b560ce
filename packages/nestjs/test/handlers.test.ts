import {
  Controller,
  Get,
  type INestApplicationContext,
  InternalServerErrorException,
  Module,
  NotFoundException,
} from '@nestjs/common'
import { Reflector } from '@nestjs/core'
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js'
import { CircuitBreakerRegistry } from '@tripswitch/core'
import type { HttpOutcomeContext } from '@tripswitch/core/adapter'
import { FakeClock } from '@tripswitch/core/testing'
import { concat, delay, NEVER, Observable, of, throwError } from 'rxjs'
import { describe, expect, it, vi } from 'vitest'
import { CircuitBreaker, CircuitBreakerInterceptor, TripswitchModule } from '../src/index.ts'
import { boot, caller, PLATFORMS, statuses } from './helpers.ts'

const seen: HttpOutcomeContext[] = []
let mode: 'ok' | 'fail' = 'ok'

@Controller()
@CircuitBreaker({ errorThreshold: 2 })
class StreamController {
  @Get('promise')
  async promise() {
    await Promise.resolve()
    if (mode === 'fail') throw new Error('boom')
    return 'p'
  }

  @Get('observable')
  observable() {
    return mode === 'fail' ? throwError(() => new Error('boom')) : of('a', 'b')
  }

  @Get('late')
  late() {
    // Emits, then fails on a later tick: the failure still counts.
    const tail = mode === 'fail' ? throwError(() => new Error('late')) : of('done')
    return concat(of('first'), tail.pipe(delay(1)))
  }

  @Get('never')
  never() {
    return NEVER
  }

  @Get('detect')
  @CircuitBreaker({
    detectError: (context) => {
      seen.push(context)
      return context.statusCode === 404
    },
  })
  detect() {
    if (mode === 'fail') throw new NotFoundException()
    throw new InternalServerErrorException()
  }
}

async function app(): Promise<{
  context: INestApplicationContext
  registry: CircuitBreakerRegistry
}> {
  @Module({
    imports: [TripswitchModule.forRoot({ clock: new FakeClock() })],
    controllers: [StreamController],
  })
  class AppModule {}
  mode = 'ok'
  seen.length = 0
  const context = await boot(AppModule)
  return { context, registry: context.get(CircuitBreakerRegistry) }
}

describe.each(PLATFORMS)('handler kinds on %s', (_name, platform) => {
  it.each(['promise', 'observable', 'late'] as const)(
    'settles a %s handler: success, then failures that trip',
    async (method) => {
      const { context, registry } = await app()
      const call = caller(context, StreamController, method, platform)
      expect((await call()).status).toBe(200)
      mode = 'fail'
      expect(await statuses(call, 3)).toEqual([500, 500, 503])
      expect(registry.get(`StreamController.${method}`).state).toBe('open')
    },
  )

  it('gives detectError the status and the error', async () => {
    const { context, registry } = await app()
    const call = caller(context, StreamController, 'detect', platform)
    expect(await statuses(call, 3)).toEqual([500, 500, 500])
    expect(registry.get('StreamController.detect').state).toBe('closed')
    mode = 'fail'
    expect(await statuses(call, 3)).toEqual([404, 404, 503])
    expect(seen[0]?.statusCode).toBe(500)
    expect(seen[0]?.error).toBeInstanceOf(InternalServerErrorException)
    expect(seen.at(-1)?.statusCode).toBe(404)
  })
})

describe('an unsubscribed call (the client went away)', () => {
  it('is ignored and frees the half-open probe slot', async () => {
    const clock = new FakeClock()
    @Module({
      imports: [TripswitchModule.forRoot({ clock })],
      controllers: [StreamController],
    })
    class AppModule {}
    const context = await boot(AppModule)
    const registry = context.get(CircuitBreakerRegistry)
    const breaker = registry.get('StreamController.never', { errorThreshold: 1 })
    ;(await breaker.acquire()).failure()
    clock.advance(30_000)
    const interceptor = context.get(CircuitBreakerInterceptor)
    const host = new ExecutionContextHost(
      [{}, { statusCode: 200 }],
      StreamController,
      StreamController.prototype.never,
    )
    host.setType('http')
    const subscription = interceptor
      .intercept(host, { handle: () => new Observable<unknown>(() => undefined) })
      .subscribe()
    await vi.waitFor(() => expect(breaker.activeCalls).toBe(1))
    expect(breaker.state).toBe('half_open')
    subscription.unsubscribe()
    expect(breaker.activeCalls).toBe(0)
    expect(breaker.state).toBe('half_open')
    // The slot is free: the next call is admitted as the probe.
    expect((await breaker.acquire()).probe).toBe(true)
    expect(context.get(Reflector)).toBeDefined()
  })
})
