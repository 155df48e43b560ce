import { execFileSync } from 'node:child_process'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Controller, Get, Inject, InternalServerErrorException, Module } from '@nestjs/common'
import { CircuitBreakerRegistry } from '@tripswitch/core'
import { FakeClock } from '@tripswitch/core/testing'
import { beforeAll, describe, expect, it } from 'vitest'
import type * as Source from '../src/index.ts'
import { boot, caller, PLATFORMS, statuses } from './helpers.ts'

// The built output is compiled by tsdown (oxc), which emits no decorator metadata: this proves
// the explicit @Inject() on every constructor parameter is enough. Built into .cache, not dist,
// so that a concurrent `turbo run build` (the packaging test) cannot clean it under our feet.
const root = resolve(import.meta.dirname, '..')
const out = join(root, '.cache', 'built-test')
let built: typeof Source

beforeAll(async () => {
  execFileSync('npx', ['tsdown', '--out-dir', out, '--no-dts', '--no-sourcemap'], {
    cwd: root,
    stdio: 'pipe',
  })
  built = (await import(pathToFileURL(join(out, 'index.mjs')).href)) as typeof Source
}, 120_000)

describe('the built package', () => {
  it.each(PLATFORMS)('boots TripswitchModule and guards handlers (%s)', async (_name, platform) => {
    const { CircuitBreaker, CircuitBreakerHealthIndicator, TripswitchModule } = built
    @Controller()
    class BuiltController {
      constructor(@Inject(CircuitBreakerRegistry) readonly circuits: CircuitBreakerRegistry) {}

      @Get()
      @CircuitBreaker({ errorThreshold: 2 })
      fail() {
        throw new InternalServerErrorException()
      }
    }
    @Module({
      imports: [TripswitchModule.forRoot({ clock: new FakeClock() })],
      controllers: [BuiltController],
    })
    class AppModule {}
    const context = await boot(AppModule)
    const call = caller(context, BuiltController, 'fail', platform)
    expect(await statuses(call, 3)).toEqual([500, 500, 503])
    expect((await call()).headers).toEqual({ 'retry-after': '30', 'cache-control': 'no-store' })
    const health = await context.get(CircuitBreakerHealthIndicator).isHealthy()
    expect(health.circuits.status).toBe('down')
    expect(context.get(BuiltController).circuits).toBe(context.get(CircuitBreakerRegistry))
  })
})
