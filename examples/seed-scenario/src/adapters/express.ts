import { circuitBreaker } from '@tripswitch/express'
import express from 'express'
import { ERROR_THRESHOLD, RECOVERY_TIMEOUT_MS } from '../settings.ts'
import type { Variant } from '../variant.ts'
import { viewCircuit } from './circuit-view.ts'
import { baseUrlOf, closeServer, fetchFromUpstream, getOffer } from './http.ts'

const CIRCUIT_NAME = 'offer'

/** An Express 5 server whose `GET /offer` is guarded by the middleware. */
export const expressVariant: Variant = {
  description: '@tripswitch/express: circuitBreaker() middleware on GET /offer',
  start: async ({ upstreamUrl, clock }) => {
    // Given a clock, the middleware makes its own registry and exposes it as `.registry`.
    const guard = circuitBreaker({
      name: CIRCUIT_NAME,
      errorThreshold: ERROR_THRESHOLD,
      recoveryTimeout: RECOVERY_TIMEOUT_MS,
      clock,
    })
    const app = express()
    app.get('/offer', guard, async (_req, res) => {
      const upstream = await fetchFromUpstream(upstreamUrl)
      // A 5xx answer is what the middleware counts as a failure.
      if (upstream.ok) res.json(upstream.body)
      else res.status(502).json({ error: `upstream answered ${upstream.status}` })
    })
    const server = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve).once('error', reject)
    })
    const baseUrl = baseUrlOf(server)
    return {
      call: () => getOffer(baseUrl),
      onTransition: (listener) => {
        guard.registry.on('stateChange', listener)
      },
      circuit: () => viewCircuit(guard.registry, CIRCUIT_NAME),
      registry: guard.registry,
      close: () => closeServer(server),
    }
  },
}
