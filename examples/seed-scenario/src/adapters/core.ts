import { CircuitBreakerRegistry, isCircuitOpenError } from '@tripswitch/core'
import { ERROR_THRESHOLD, RECOVERY_TIMEOUT_MS } from '../settings.ts'
import type { Variant } from '../variant.ts'

/** No framework: a bare core breaker around `fetch`, to compare the adapters with. */
export const coreVariant: Variant = {
  description: '@tripswitch/core: CircuitBreaker.execute() around fetch',
  start: async ({ upstreamUrl, clock }) => {
    // A registry of its own (rather than `new CircuitBreaker`) so the demo's dashboard lists it.
    const registry = new CircuitBreakerRegistry({ clock })
    const breaker = registry.get('offer-upstream', {
      errorThreshold: ERROR_THRESHOLD,
      recoveryTimeout: RECOVERY_TIMEOUT_MS,
    })
    return {
      call: async () => {
        try {
          return await breaker.execute(async (signal) => {
            const response = await fetch(upstreamUrl, { signal })
            await response.body?.cancel()
            // fetch resolves on any status: a 5xx must be thrown for the breaker to count it.
            if (!response.ok) throw new Error(`HTTP ${response.status} from upstream`)
            return { ok: true, answer: `HTTP ${response.status}` }
          })
        } catch (error) {
          if (isCircuitOpenError(error)) return { ok: false, answer: `${error.code}, nothing sent` }
          return { ok: false, answer: error instanceof Error ? error.message : String(error) }
        }
      },
      onTransition: (listener) => {
        breaker.on('stateChange', listener)
      },
      circuit: () => ({ state: breaker.state, retryAfterMs: breaker.retryAfterMs }),
      registry,
      close: async () => {},
    }
  },
}
