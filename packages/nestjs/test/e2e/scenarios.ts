import {
  BadRequestException,
  Controller,
  Get,
  Inject,
  Injectable,
  InternalServerErrorException,
  Module,
} from '@nestjs/common'
import { HealthCheck, type HealthCheckResult, HealthCheckService } from '@nestjs/terminus'
import { concat, defer, mergeMap, type Observable, of, throwError } from 'rxjs'
import { CircuitBreaker, CircuitBreakerHealthIndicator } from '../../src/index.ts'

/** What the guarded handlers' dependency does: the tests set it. */
export const upstream = { status: 200, calls: 0 }

/** Resets {@link upstream} between tests. */
export function resetUpstream(): void {
  upstream.status = 200
  upstream.calls = 0
}

type Ok = { ok: true }

function callUpstream(): Ok {
  upstream.calls++
  if (upstream.status === 400) throw new BadRequestException('bad input')
  if (upstream.status === 502) throw new Error('socket hang up at 10.0.0.7') // not an HttpException
  if (upstream.status >= 500) throw new InternalServerErrorException('upstream down')
  return { ok: true }
}

/** The next turn of the event loop, without a timer. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

@Controller('offer')
export class OfferController {
  @Get()
  @CircuitBreaker({ errorThreshold: 3, recoveryTimeout: 5_000 })
  offer(): Ok {
    return callUpstream()
  }

  @Get('plain')
  plain(): Ok {
    return callUpstream()
  }
}

@Controller('options')
@CircuitBreaker({ errorThreshold: 3 })
export class OptionsController {
  @Get('class')
  fromClass(): Ok {
    return callUpstream()
  }

  @Get('handler')
  @CircuitBreaker({ name: 'handler-circuit', errorThreshold: 2, recoveryTimeout: 9_000 })
  fromHandler(): Ok {
    return callUpstream()
  }
}

@Controller('stream')
@CircuitBreaker({ errorThreshold: 2 })
export class StreamController {
  /** Emits a first value, then errors (or completes) on a later turn of the event loop. */
  @Get('late')
  late(): Observable<unknown> {
    const tail = defer(nextTurn).pipe(
      mergeMap(() => (upstream.status >= 500 ? throwError(() => new Error('late')) : of('done'))),
    )
    return concat(of('first'), tail)
  }
}

@Controller('fallback')
@CircuitBreaker({ errorThreshold: 1, fallback: () => ({ cached: true }) })
export class FallbackController {
  @Get()
  offer(): Ok {
    return callUpstream()
  }

  @Get('async')
  @CircuitBreaker({ fallback: async () => ({ cached: 'async' }) })
  later(): Ok {
    return callUpstream()
  }
}

@Controller('async')
export class DefaultsController {
  @Get()
  @CircuitBreaker()
  offer(): Ok {
    return callUpstream()
  }
}

/** A readiness probe: Terminus over the circuits. */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(CircuitBreakerHealthIndicator) private readonly circuits: CircuitBreakerHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.circuits.isHealthy('circuits')])
  }
}

@Injectable()
export class ConfigService {
  readonly errorThreshold = 1
  readonly recoveryTimeout = 7_000
}

@Module({ providers: [ConfigService], exports: [ConfigService] })
export class ConfigModule {}
