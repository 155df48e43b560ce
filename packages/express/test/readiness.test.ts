import { describe, expect, it } from 'vitest'
import { circuitBreaker, circuitStatus } from '../src/index.ts'
import { expressVersions, fakeRegistry, serve } from './helpers.ts'

// A readiness probe must recover with no traffic: an unready pod gets no requests, so waiting
// for a request to move the circuit to half-open would keep it unready forever.

describe.each(expressVersions)('$version', ({ express }) => {
  describe('circuitStatus as a readiness probe', () => {
    it('goes 503 when a circuit trips and back to 200 once recoveryTimeout has passed, with no request through the breaker', async () => {
      const { clock, registry } = fakeRegistry()
      const app = express()
      app.get('/ready', circuitStatus(registry))
      app.get(
        '/svc',
        circuitBreaker({ registry, errorThreshold: 1, recoveryTimeout: 5_000 }),
        (_req, res) => {
          res.sendStatus(500)
        },
      )
      const served = await serve(app)
      expect((await served.fetch('/ready')).status).toBe(200)

      expect((await served.fetch('/svc')).status).toBe(500)
      const tripped = await served.fetch('/ready')
      expect(tripped.status).toBe(503)
      expect(tripped.json).toMatchObject({ status: 'degraded', open: ['GET /svc'] })

      clock.advance(4_999)
      expect((await served.fetch('/ready')).status).toBe(503)
      clock.advance(1)
      const recovered = await served.fetch('/ready')
      expect(recovered.status).toBe(200)
      expect(recovered.json).toMatchObject({
        status: 'up',
        circuits: { 'GET /svc': { state: 'half_open' } },
      })
      const breaker = registry.get('GET /svc')
      expect(breaker.activeCalls).toBe(0)
      expect(breaker.snapshot().failures).toBe(1)
    })

    it('stays 503 while a circuit is forced open, however much time passes', async () => {
      const { clock, registry } = fakeRegistry()
      const app = express()
      app.get('/ready', circuitStatus(registry))
      const served = await serve(app)
      registry.get('maintenance').forceOpen()
      expect((await served.fetch('/ready')).status).toBe(503)
      clock.advance(24 * 3_600_000)
      expect((await served.fetch('/ready')).status).toBe(503)
    })
  })
})
