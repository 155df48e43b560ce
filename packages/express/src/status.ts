import {
  type CircuitBreakerRegistry,
  healthStatusCode,
  InvalidOptionsError,
} from '@tripswitch/core'
import type { Request, RequestHandler, Response } from 'express'
import { defaultRegistry } from './default-registry.ts'
import { isRegistry } from './parse-options.ts'

/**
 * A readiness handler: answers `registry.health()` as JSON (`{ status, open, circuits }`), with
 * 200 while every circuit admits calls and 503 while any is open, half-open or forced open.
 * Never cached (`Cache-Control: no-store`).
 *
 * @param registry the registry to report on. @default {@link defaultRegistry}
 * @throws {InvalidOptionsError} when `registry` is not a registry.
 */
export function circuitStatus(registry: CircuitBreakerRegistry = defaultRegistry): RequestHandler {
  if (!isRegistry(registry)) {
    throw new InvalidOptionsError('registry', 'a CircuitBreakerRegistry', registry)
  }
  return (_req: Request, res: Response): void => {
    const health = registry.health()
    res.status(healthStatusCode(health)).set('cache-control', 'no-store').json(health)
  }
}
