import { attachCircuitBreaker } from '@tripswitch/axios'
import { CircuitBreakerRegistry, isCircuitOpenError } from '@tripswitch/core'
import axios from 'axios'
import { ERROR_THRESHOLD, RECOVERY_TIMEOUT_MS } from '../settings.ts'
import type { Variant } from '../variant.ts'
import { viewCircuit } from './circuit-view.ts'

/** The client side: an axios instance calling the upstream directly, guarded per origin. */
export const axiosVariant: Variant = {
  description: '@tripswitch/axios: attachCircuitBreaker on an axios instance',
  start: async ({ upstreamUrl, clock }) => {
    // The registry carries the clock: axios breakers take store and clock from their registry.
    const registry = new CircuitBreakerRegistry({ clock })
    const http = axios.create({ baseURL: upstreamUrl })
    const detach = attachCircuitBreaker(http, {
      registry,
      errorThreshold: ERROR_THRESHOLD,
      recoveryTimeout: RECOVERY_TIMEOUT_MS,
    })
    // The default key is the origin, so the breaker's name is the upstream's origin.
    const circuitName = new URL(upstreamUrl).origin
    return {
      call: async () => {
        try {
          const response = await http.get('/')
          return { ok: true, answer: `HTTP ${response.status}` }
        } catch (error) {
          if (isCircuitOpenError(error)) return { ok: false, answer: `${error.code}, nothing sent` }
          if (axios.isAxiosError(error) && error.response !== undefined) {
            return { ok: false, answer: `HTTP ${error.response.status} from upstream` }
          }
          throw error
        }
      },
      onTransition: (listener) => {
        registry.on('stateChange', listener)
      },
      circuit: () => viewCircuit(registry, circuitName),
      registry,
      close: async () => detach(),
    }
  },
}
