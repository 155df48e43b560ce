import circuitBreaker from '@tripswitch/fastify'
import Fastify from 'fastify'
import { ERROR_THRESHOLD, RECOVERY_TIMEOUT_MS } from '../settings.ts'
import type { Variant } from '../variant.ts'
import { viewCircuit } from './circuit-view.ts'
import { baseUrlOf, fetchFromUpstream, getOffer } from './http.ts'

// Without a `name`, a circuit is named after the first route it guards: method + template.
const CIRCUIT_NAME = 'GET /offer'

/** A Fastify 5 server, written exactly as with @fastify/circuit-breaker (the compat form). */
export const fastifyVariant: Variant = {
  description: '@tripswitch/fastify: app.circuitBreaker() preHandler on GET /offer',
  start: async ({ upstreamUrl, clock }) => {
    const app = Fastify()
    await app.register(circuitBreaker, {
      threshold: ERROR_THRESHOLD,
      resetTimeout: RECOVERY_TIMEOUT_MS,
      clock,
    })
    app.get('/offer', { preHandler: app.circuitBreaker() }, async (_request, reply) => {
      const upstream = await fetchFromUpstream(upstreamUrl)
      // A 5xx reply is what the plugin counts as a failure.
      if (upstream.ok) return upstream.body
      return reply.code(502).send({ error: `upstream answered ${upstream.status}` })
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const baseUrl = baseUrlOf(app.server)
    return {
      call: () => getOffer(baseUrl),
      onTransition: (listener) => {
        app.circuitBreakers.on('stateChange', listener)
      },
      circuit: () => viewCircuit(app.circuitBreakers, CIRCUIT_NAME),
      registry: app.circuitBreakers,
      close: () => app.close(),
    }
  },
}
