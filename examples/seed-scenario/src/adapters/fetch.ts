import { CircuitBreakerRegistry, isCircuitOpenError } from '@tripswitch/core'
import { withCircuitBreaker } from '@tripswitch/fetch'
import { ERROR_THRESHOLD, RECOVERY_TIMEOUT_MS } from '../settings.ts'
import type { Variant } from '../variant.ts'
import { viewCircuit } from './circuit-view.ts'

/** The client side: Node's global fetch, guarded per origin, calling the upstream directly. */
export const fetchVariant: Variant = {
  description: '@tripswitch/fetch: withCircuitBreaker(fetch) calling the upstream',
  start: async ({ upstreamUrl, clock }) => {
    // The registry carries the clock: fetch breakers take store and clock from their registry.
    const registry = new CircuitBreakerRegistry({ clock })
    const guardedFetch = withCircuitBreaker(fetch, {
      registry,
      errorThreshold: ERROR_THRESHOLD,
      recoveryTimeout: RECOVERY_TIMEOUT_MS,
    })
    // The default key is the origin, so the breaker's name is the upstream's origin.
    const circuitName = new URL(upstreamUrl).origin
    return {
      call: async () => {
        try {
          // A 503 resolves, as fetch does; the wrapper has already counted it as a failure.
          const response = await guardedFetch(upstreamUrl)
          await response.body?.cancel()
          const answer = response.ok
            ? `HTTP ${response.status}`
            : `HTTP ${response.status} from upstream`
          return { ok: response.ok, answer }
        } catch (error) {
          if (isCircuitOpenError(error)) return { ok: false, answer: `${error.code}, nothing sent` }
          throw error
        }
      },
      onTransition: (listener) => {
        registry.on('stateChange', listener)
      },
      circuit: () => viewCircuit(registry, circuitName),
      registry,
      close: async () => {},
    }
  },
}
