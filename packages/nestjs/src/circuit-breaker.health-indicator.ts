import { Inject, Injectable } from '@nestjs/common'
import { CircuitBreakerRegistry } from '@tripswitch/core'

/** The state reported under one key: `up` while no circuit refuses calls. */
export interface CircuitBreakerHealthDetails {
  /** `down` while a circuit is open with time left or forced open; half-open counts as `up`. */
  readonly status: 'up' | 'down'
  /** Names of the circuits that refuse calls. */
  readonly open: readonly string[]
}

/** A Terminus `HealthIndicatorResult`: the details under the key given to `isHealthy`. */
export type CircuitBreakerHealthResult<Key extends string = string> = Record<
  Key,
  CircuitBreakerHealthDetails
>

/**
 * A health indicator over the module's registry, in the shape `@nestjs/terminus` (10 to 12)
 * expects, without importing it: use it in `HealthCheckService.check([...])`. It is provided
 * and exported by `TripswitchModule` whether or not Terminus is installed.
 */
@Injectable()
export class CircuitBreakerHealthIndicator {
  constructor(@Inject(CircuitBreakerRegistry) private readonly registry: CircuitBreakerRegistry) {}

  /**
   * `{ [key]: { status: 'up' | 'down', open } }` from `registry.health()`: `down` while a
   * circuit refuses calls (Terminus then answers 503). A circuit past its open deadline reads
   * half-open without any call, so the indicator turns `up` again by itself when traffic has
   * stopped.
   * @param key name of the indicator in the health report. @default 'circuits'
   */
  isHealthy<const Key extends string = 'circuits'>(
    key: Key = 'circuits' as Key,
  ): Promise<CircuitBreakerHealthResult<Key>> {
    const health = this.registry.health()
    const details: CircuitBreakerHealthDetails = {
      status: health.status === 'up' ? 'up' : 'down',
      open: health.open,
    }
    return Promise.resolve({ [key]: details } as CircuitBreakerHealthResult<Key>)
  }
}
