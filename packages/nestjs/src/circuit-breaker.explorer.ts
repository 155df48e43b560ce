import { Inject, Injectable, type OnModuleInit } from '@nestjs/common'
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core'
import { CircuitBreakerRegistry } from '@tripswitch/core'
import { CircuitBreakerMetadata } from './circuit-breaker.metadata.ts'
import { routeOf } from './circuit-breaker.route.ts'
import { SkipCircuitBreakerMetadata } from './circuit-breaker.skip.ts'

/**
 * Validates every `@CircuitBreaker()` of the application over the registry's defaults when the
 * module starts, so that a bad option fails the boot instead of the first request.
 */
@Injectable()
export class CircuitBreakerExplorer implements OnModuleInit {
  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(CircuitBreakerRegistry) private readonly registry: CircuitBreakerRegistry,
  ) {}

  /** @throws {InvalidOptionsError} naming the option, the rule and the value. */
  onModuleInit(): void {
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype
      if (typeof controller !== 'function') continue
      const prototype = controller.prototype as Record<string, unknown>
      const classOptions = this.reflector.get(CircuitBreakerMetadata, controller)
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[method]
        if (typeof handler !== 'function') continue
        const handlerOptions = this.reflector.get(CircuitBreakerMetadata, handler)
        const skipped = this.reflector.get(SkipCircuitBreakerMetadata, handler) === true
        const route = routeOf(controller, handler, classOptions, handlerOptions, skipped)
        if (route !== null) this.registry.validate(route.breakerOptions)
      }
    }
  }
}
