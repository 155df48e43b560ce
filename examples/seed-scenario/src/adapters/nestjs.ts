import 'reflect-metadata'
import {
  BadGatewayException,
  Controller,
  type DynamicModule,
  Get,
  Inject,
  Module,
} from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { CircuitBreakerRegistry, type Clock } from '@tripswitch/core'
import { CircuitBreaker, TripswitchModule } from '@tripswitch/nestjs'
import { ERROR_THRESHOLD, RECOVERY_TIMEOUT_MS } from '../settings.ts'
import type { Variant } from '../variant.ts'
import { viewCircuit } from './circuit-view.ts'
import { fetchFromUpstream, getOffer } from './http.ts'

const CIRCUIT_NAME = 'offer'
const UPSTREAM_URL = Symbol('UPSTREAM_URL')

@Controller('offer')
class OfferController {
  // An explicit @Inject(): the example does not rely on emitted decorator metadata.
  constructor(@Inject(UPSTREAM_URL) private readonly upstreamUrl: string) {}

  @Get()
  @CircuitBreaker({
    name: CIRCUIT_NAME,
    errorThreshold: ERROR_THRESHOLD,
    recoveryTimeout: RECOVERY_TIMEOUT_MS,
  })
  async offer(): Promise<unknown> {
    const upstream = await fetchFromUpstream(this.upstreamUrl)
    // A 5xx HttpException is what the interceptor counts as a failure.
    if (!upstream.ok) throw new BadGatewayException(`upstream answered ${upstream.status}`)
    return upstream.body
  }
}

@Module({ controllers: [OfferController] })
class OfferModule {
  /** The module for one run: the upstream to call and the clock of every breaker. */
  static forRun(upstreamUrl: string, clock: Clock): DynamicModule {
    return {
      module: OfferModule,
      imports: [TripswitchModule.forRoot({ clock })],
      providers: [{ provide: UPSTREAM_URL, useValue: upstreamUrl }],
    }
  }
}

/** A Nest 12 application on the Express platform, its handler decorated with @CircuitBreaker(). */
export const nestjsVariant: Variant = {
  description: '@tripswitch/nestjs: @CircuitBreaker() on OfferController.offer (Express platform)',
  start: async ({ upstreamUrl, clock }) => {
    const app = await NestFactory.create(
      OfferModule.forRun(upstreamUrl, clock),
      new ExpressAdapter(),
      {
        logger: false,
      },
    )
    await app.listen(0, '127.0.0.1')
    const baseUrl = await app.getUrl()
    const registry = app.get(CircuitBreakerRegistry)
    return {
      call: () => getOffer(baseUrl),
      onTransition: (listener) => {
        registry.on('stateChange', listener)
      },
      circuit: () => viewCircuit(registry, CIRCUIT_NAME),
      registry,
      close: () => app.close(),
    }
  },
}
