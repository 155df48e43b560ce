import {
  type CircuitBreakerRegistry,
  defaultRegistry,
  healthStatusCode,
  InvalidOptionsError,
} from '@tripswitch/core'
import type { Request, RequestHandler, Response } from 'express'
import { isRegistry } from './parse-options.ts'

/**
 * A status handler: answers `registry.health()` as JSON (`{ status, open, circuits }`), with 200
 * while no circuit refuses calls and 503 while one is open with time left or forced open. A
 * circuit past its open deadline reads half-open without any request, so the answer turns 200
 * again by itself when traffic has stopped (as a readiness probe, it never waits for a request
 * that an unready pod would not get). Never cached (`Cache-Control: no-store`).
 *
 * @param registry the registry to report on. @default core's `defaultRegistry()`, which every
 *   adapter given no registry uses (axios clients included)
 * @throws {InvalidOptionsError} when `registry` is not a registry.
 */
export function circuitStatus(
  registry: CircuitBreakerRegistry = defaultRegistry(),
): RequestHandler {
  if (!isRegistry(registry)) {
    throw new InvalidOptionsError('registry', 'a CircuitBreakerRegistry', registry)
  }
  return (_req: Request, res: Response): void => {
    const health = registry.health()
    res.status(healthStatusCode(health)).set('cache-control', 'no-store').json(health)
  }
}
