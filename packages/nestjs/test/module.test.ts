import {
  Controller,
  Get,
  Inject,
  Injectable,
  InternalServerErrorException,
  Module,
} from '@nestjs/common'
import { CircuitBreakerRegistry, isInvalidOptionsError } from '@tripswitch/core'
import { FakeClock } from '@tripswitch/core/testing'
import { describe, expect, it } from 'vitest'
import {
  CircuitBreaker,
  CircuitBreakerHealthIndicator,
  TripswitchModule,
  type TripswitchModuleOptions,
  type TripswitchOptionsFactory,
} from '../src/index.ts'
import { boot, caller, PLATFORMS, statuses } from './helpers.ts'

@Controller()
class FailingController {
  @Get()
  @CircuitBreaker({ errorThreshold: 1 })
  fail() {
    throw new InternalServerErrorException()
  }
}

const clock = new FakeClock()

@Injectable()
class ConfigService {
  readonly threshold = 1
}

@Module({ providers: [ConfigService], exports: [ConfigService] })
class ConfigModule {}

@Injectable()
class OptionsFactory implements TripswitchOptionsFactory {
  constructor(@Inject(ConfigService) private readonly config: ConfigService) {}
  createTripswitchOptions(): TripswitchModuleOptions {
    return { clock, defaults: { recoveryTimeout: this.config.threshold * 7_000 } }
  }
}

@Module({ imports: [ConfigModule], providers: [OptionsFactory], exports: [OptionsFactory] })
class OptionsModule {}

const asyncForms = {
  useFactory: TripswitchModule.forRootAsync({
    imports: [ConfigModule],
    inject: [ConfigService],
    useFactory: (config: ConfigService) => ({
      clock,
      defaults: { recoveryTimeout: config.threshold * 7_000 },
    }),
  }),
  useClass: TripswitchModule.forRootAsync({ imports: [ConfigModule], useClass: OptionsFactory }),
  useExisting: TripswitchModule.forRootAsync({
    imports: [OptionsModule],
    useExisting: OptionsFactory,
  }),
}

describe.each(Object.entries(asyncForms))('forRootAsync with %s', (_form, tripswitch) => {
  it.each(PLATFORMS)('configures the registry (%s)', async (_name, platform) => {
    @Module({ imports: [tripswitch], controllers: [FailingController] })
    class AppModule {}
    const context = await boot(AppModule)
    const call = caller(context, FailingController, 'fail', platform)
    expect(await statuses(call, 2)).toEqual([500, 503])
    expect((await call()).headers['retry-after']).toBe('7')
  })
})

describe('forRoot', () => {
  it('uses a given registry as is', async () => {
    const registry = new CircuitBreakerRegistry()
    @Module({ imports: [TripswitchModule.forRoot({ registry })] })
    class AppModule {}
    expect((await boot(AppModule)).get(CircuitBreakerRegistry)).toBe(registry)
  })

  it.each(PLATFORMS)(
    'guards controllers of modules that do not import it (%s)',
    async (_name, platform) => {
      @Module({ controllers: [FailingController] })
      class FeatureModule {}
      @Module({ imports: [TripswitchModule.forRoot({ clock }), FeatureModule] })
      class AppModule {}
      const context = await boot(AppModule)
      const call = caller(context, FailingController, 'fail', platform)
      expect(await statuses(call, 2)).toEqual([500, 503])
    },
  )

  it('makes the registry injectable everywhere with isGlobal', async () => {
    @Injectable()
    class Consumer {
      constructor(@Inject(CircuitBreakerRegistry) readonly registry: CircuitBreakerRegistry) {}
    }
    @Module({ providers: [Consumer] })
    class FeatureModule {}
    @Module({ imports: [TripswitchModule.forRoot({ isGlobal: true }), FeatureModule] })
    class AppModule {}
    const context = await boot(AppModule)
    expect(context.get(Consumer).registry).toBe(context.get(CircuitBreakerRegistry))
  })
})

describe('CircuitBreakerHealthIndicator', () => {
  it('is up while every circuit is closed, down with the open ones', async () => {
    @Module({
      imports: [TripswitchModule.forRoot({ clock: new FakeClock() })],
      controllers: [FailingController],
    })
    class AppModule {}
    const context = await boot(AppModule)
    const health = context.get(CircuitBreakerHealthIndicator)
    expect(await health.isHealthy()).toEqual({ circuits: { status: 'up', open: [] } })
    await caller(context, FailingController, 'fail', PLATFORMS[0]![1])()
    expect(await health.isHealthy('breakers')).toEqual({
      breakers: { status: 'down', open: ['FailingController.fail'] },
    })
  })
})

describe('invalid options', () => {
  const rejects = async (make: () => unknown, option: string) => {
    const error = await Promise.resolve()
      .then(make)
      .catch((e: unknown) => e)
    expect(isInvalidOptionsError(error), String(error)).toBe(true)
    expect(error).toMatchObject({ option })
  }

  it('rejects a bad decorator option at decoration', async () => {
    const decorate = (options: object) => () => CircuitBreaker(options)(class Decorated {})
    await rejects(decorate({ errorTreshold: 3 }), 'errorTreshold')
    await rejects(decorate({ name: '' }), 'name')
    await rejects(decorate({ fallback: 'cached' }), 'fallback')
    await rejects(decorate({ clock }), 'clock')
    await rejects(decorate({ timeout: 1_000 }), 'timeout')
  })

  it('rejects a bad decorator value at module init, over the defaults', async () => {
    @Controller()
    class BadController {
      @Get()
      @CircuitBreaker({ failureRateThreshold: 0.5 })
      get() {}
    }
    @Module({ imports: [TripswitchModule.forRoot({})], controllers: [BadController] })
    class AppModule {}
    await rejects(() => boot(AppModule), 'failureRateThreshold')

    @Module({
      imports: [TripswitchModule.forRoot({ defaults: { strategy: 'rate' } })],
      controllers: [BadController],
    })
    class RateModule {}
    await boot(RateModule)
  })

  it('rejects bad module options at boot', async () => {
    @Module({ imports: [TripswitchModule.forRoot({ defaults: { errorThreshold: 0 } })] })
    class ZeroModule {}
    await rejects(() => boot(ZeroModule), 'defaults.errorThreshold')

    const registry = new CircuitBreakerRegistry()
    @Module({ imports: [TripswitchModule.forRoot({ registry, maxBreakers: 5 })] })
    class BothModule {}
    await rejects(() => boot(BothModule), 'maxBreakers')
  })
})
