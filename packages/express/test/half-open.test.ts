import { describe, expect, it } from 'vitest'
import { circuitBreaker } from '../src/index.ts'
import {
  deferred,
  type ExpressModule,
  expressVersions,
  fakeRegistry,
  serve,
  statuses,
} from './helpers.ts'

/** An app (of `express`) whose /svc answers `upstream.status`, tripped open before the test runs. */
async function trippedApp(express: ExpressModule) {
  const { clock, registry } = fakeRegistry()
  const upstream = {
    status: 500,
    hold: undefined as Promise<void> | undefined,
    calls: 0,
    entered: deferred(),
  }
  const app = express()
  app.get(
    '/svc',
    circuitBreaker({ registry, errorThreshold: 2, recoveryTimeout: 5_000 }),
    async (_req, res) => {
      upstream.calls++
      upstream.entered.resolve()
      await upstream.hold
      res.status(upstream.status).json({ status: upstream.status })
    },
  )
  const served = await serve(app)
  expect(await statuses(served, '/svc', 2)).toEqual([500, 500])
  const breaker = registry.get('GET /svc')
  expect(breaker.state).toBe('open')
  upstream.calls = 0
  upstream.entered = deferred()
  return { clock, breaker, served, upstream }
}

describe.each(expressVersions)('$version', ({ express }) => {
  describe('half-open probes', () => {
    it('refuses until recoveryTimeout has passed, then one successful probe closes the circuit', async () => {
      const { clock, breaker, served, upstream } = await trippedApp(express)
      clock.advance(4_999)
      expect((await served.fetch('/svc')).status).toBe(503)
      expect(upstream.calls).toBe(0)

      clock.advance(1)
      upstream.status = 200
      expect((await served.fetch('/svc')).status).toBe(200)
      expect(breaker.state).toBe('closed')
      expect(await statuses(served, '/svc', 3)).toEqual([200, 200, 200])
      expect(upstream.calls).toBe(4)
    })

    it('reopens when the probe fails, passing the probe its own 5xx', async () => {
      const { clock, breaker, served, upstream } = await trippedApp(express)
      clock.advance(5_000)
      const probe = await served.fetch('/svc')

      expect(probe.status).toBe(500)
      expect(probe.json).toEqual({ status: 500 })
      expect(breaker.state).toBe('open')
      expect(breaker.retryAfterMs).toBe(5_000)
      expect((await served.fetch('/svc')).status).toBe(503)
      expect(upstream.calls).toBe(1)
    })

    it('answers 503 to concurrent requests while the probe runs', async () => {
      const { clock, breaker, served, upstream } = await trippedApp(express)
      clock.advance(5_000)
      const release = deferred()
      upstream.hold = release.promise
      upstream.status = 200

      const probe = served.fetch('/svc')
      await upstream.entered.promise
      expect(breaker.state).toBe('half_open')
      const others = await Promise.all([served.fetch('/svc'), served.fetch('/svc')])
      expect(others.map((a) => a.status)).toEqual([503, 503])
      expect(others[0]?.json).toMatchObject({ code: 'ERR_CIRCUIT_OPEN', circuit: 'GET /svc' })

      release.resolve()
      expect((await probe).status).toBe(200)
      expect(breaker.state).toBe('closed')
      expect(upstream.calls).toBe(1)
    })
  })
})
