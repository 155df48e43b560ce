import { FakeClock } from '@tripswitch/core/testing'
import { describe, expect, it } from 'vitest'
import { type CircuitBreakerMiddlewareOptions, circuitBreaker } from '../src/index.ts'
import { expressVersions, fakeRegistry, serve } from './helpers.ts'

const fail = (_req: unknown, res: { sendStatus(code: number): unknown }) => res.sendStatus(500)

describe.each(expressVersions)('$version', ({ express }) => {
  describe('HEAD requests', () => {
    it("go through the GET route's breaker on a route", async () => {
      const { registry } = fakeRegistry()
      const app = express()
      app.get('/offer', circuitBreaker({ registry, errorThreshold: 2 }), fail)
      const served = await serve(app)
      expect((await served.fetch('/offer', { method: 'HEAD' })).status).toBe(500)
      expect(registry.get('GET /offer').snapshot().consecutiveFailures).toBe(1)
      expect((await served.fetch('/offer')).status).toBe(500)
      expect(registry.get('GET /offer').state).toBe('open')
      const head = await served.fetch('/offer', { method: 'HEAD' })
      expect(head.status).toBe(503)
      expect(head.headers.get('retry-after')).not.toBeNull()
      expect(registry.has('HEAD /offer')).toBe(false)
    })

    it("go through the GET route's breaker under app.use, with the mount path", async () => {
      const { registry } = fakeRegistry()
      const app = express()
      const router = express.Router()
      router.get('/items/:id', fail)
      app.use('/api', circuitBreaker({ registry, errorThreshold: 2 }), router)
      const served = await serve(app)
      expect((await served.fetch('/api/items/1', { method: 'HEAD' })).status).toBe(500)
      expect((await served.fetch('/api/items/2', { method: 'HEAD' })).status).toBe(500)
      expect((await served.fetch('/api/items/3')).status).toBe(503)
      expect(registry.list().map((b) => b.name)).toEqual(['GET /api/items/:id'])
    })

    it('keep their own breaker on a route with a HEAD handler', async () => {
      const { registry } = fakeRegistry()
      const app = express()
      app
        .route('/file')
        .all(circuitBreaker({ registry, errorThreshold: 1 }))
        .head(fail)
        .get((_req, res) => {
          res.send('ok')
        })
      const served = await serve(app)
      expect((await served.fetch('/file', { method: 'HEAD' })).status).toBe(500)
      expect(registry.get('HEAD /file').state).toBe('open')
      expect((await served.fetch('/file')).status).toBe(200)
      expect(registry.get('GET /file').state).toBe('closed')
    })
  })

  describe('transition logging', () => {
    function recorder() {
      const lines: Array<[level: string, fields: Record<string, unknown>, message: string]> = []
      const logger = {
        warn: (fields: Record<string, unknown>, message: string) =>
          lines.push(['warn', fields, message]),
        info: (fields: Record<string, unknown>, message: string) =>
          lines.push(['info', fields, message]),
      }
      return { lines, logger }
    }

    it('logs open at warn, half-open and close at info, to the given logger', async () => {
      const { clock, registry } = fakeRegistry()
      const { lines, logger } = recorder()
      let status = 500
      const app = express()
      const options = { registry, logger, errorThreshold: 1, recoveryTimeout: 5_000 }
      app.get('/svc', circuitBreaker(options), (_req, res) => {
        res.sendStatus(status)
      })
      const served = await serve(app)
      expect((await served.fetch('/svc')).status).toBe(500)
      expect(lines).toEqual([
        [
          'warn',
          { circuit: 'GET /svc', reason: 'threshold', retryAfterMs: 5_000 },
          'tripswitch: circuit open',
        ],
      ])
      clock.advance(5_000)
      status = 200
      expect((await served.fetch('/svc')).status).toBe(200)
      expect(lines.slice(1)).toEqual([
        ['info', { circuit: 'GET /svc' }, 'tripswitch: circuit half-open'],
        ['info', { circuit: 'GET /svc' }, 'tripswitch: circuit closed'],
      ])
    })

    it('logs only the breakers the middleware uses, and nothing with logTransitions: false', async () => {
      const { registry } = fakeRegistry()
      const on = recorder()
      const off = recorder()
      const app = express()
      app.get('/on', circuitBreaker({ registry, logger: on.logger, errorThreshold: 1 }), fail)
      const quiet = { registry, logger: off.logger, logTransitions: false, errorThreshold: 1 }
      app.get('/off', circuitBreaker(quiet), fail)
      const served = await serve(app)
      await served.fetch('/on')
      await served.fetch('/off')
      registry.get('outbound').forceOpen()
      expect(registry.get('GET /off').state).toBe('open')
      expect(on.lines.map(([, fields]) => fields.circuit)).toEqual(['GET /on'])
      expect(off.lines).toEqual([])
    })

    it('keeps answering and counting when the logger throws', async () => {
      const { registry } = fakeRegistry()
      const warnings: Error[] = []
      const onWarning = (warning: Error) => warnings.push(warning)
      process.on('warning', onWarning)
      try {
        const boom = () => {
          throw new Error('log sink down')
        }
        const app = express()
        const options = { registry, logger: { warn: boom, info: boom }, errorThreshold: 1 }
        app.get('/svc', circuitBreaker(options), fail)
        const served = await serve(app)
        expect((await served.fetch('/svc')).status).toBe(500)
        expect((await served.fetch('/svc')).status).toBe(503)
        expect(registry.get('GET /svc').state).toBe('open')
        await new Promise((resolve) => setImmediate(resolve))
        expect(warnings.some((w) => String(w.message).includes('log sink down'))).toBe(true)
      } finally {
        process.off('warning', onWarning)
      }
    })

    it('accepts console', () => {
      expect(() => circuitBreaker({ clock: new FakeClock(), logger: console })).not.toThrow()
    })

    it.each([
      ['logger', { logger: {} }],
      ['logger', { logger: { warn: () => {} } }],
      ['logger', { logger: null }],
      ['logger', { logger: 'console' }],
      ['logTransitions', { logTransitions: 'no' }],
      ['logTransitions', { logTransitions: null }],
    ])('rejects a bad %s: %j', (option, bad) => {
      const options = bad as unknown as CircuitBreakerMiddlewareOptions
      expect(() => circuitBreaker(options)).toThrow(expect.objectContaining({ option }))
    })
  })
})
