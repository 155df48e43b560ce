import type { CircuitBreakerRegistry } from '@tripswitch/core'
import type { CircuitView } from '../variant.ts'

/**
 * Reads breaker `name` from `registry` without creating it: `registry.get` would create a
 * breaker with the registry's defaults, and the adapter would then find that one instead of
 * creating its own with errorThreshold 3. A breaker that does not exist yet has seen no call,
 * which is a closed circuit.
 */
export function viewCircuit(registry: CircuitBreakerRegistry, name: string): CircuitView {
  if (!registry.has(name)) return { state: 'closed', retryAfterMs: 0 }
  const breaker = registry.get(name)
  return { state: breaker.state, retryAfterMs: breaker.retryAfterMs }
}
