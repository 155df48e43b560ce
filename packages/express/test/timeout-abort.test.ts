import { describe, expect, it } from 'vitest'
import { circuitBreaker } from '../src/index.ts'
import { deferred, expressVersions, fakeRegistry, serve, statuses } from './helpers.ts'

describe.each(expressVersions)('$version', ({ express }) => {
  describe('timeout', () => {
    it('answers 503 to a handler slower than timeout, counts a failure and drops the late answer', async () => {
      const { clock, registry } = fakeRegistry()
      const entered = deferred()
      const release = deferred()
      const late = deferred<unknown>()
      const app = express()
      app.get('/slow', circuitBreaker({ registry, timeout: 1_000 }), async (_req, res) => {
        entered.resolve()
        await release.promise
        try {
          res.status(200).set('x-late', 'yes').json({ late: true })
          res.end()
          late.resolve(undefined)
        } catch (error) {
          late.resolve(error)
        }
      })
      app.get('/fast', circuitBreaker({ registry }), (_req, res) => {
        res.json({ ok: true })
      })
      const served = await serve(app)

      const answer = served.fetch('/slow')
      await entered.promise
      // Looked up once the middleware created it: registry.get() before would create it without timeout.
      const breaker = registry.get('GET /slow')
      clock.advance(999)
      expect(breaker.snapshot().failures).toBe(0)
      expect(breaker.activeCalls).toBe(1)
      clock.advance(1)
      const timedOut = await answer

      expect(timedOut.status).toBe(503)
      expect(timedOut.headers.get('cache-control')).toBe('no-store')
      expect(timedOut.headers.get('x-late')).toBeNull()
      expect(timedOut.json).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'ERR_CIRCUIT_TIMEOUT',
        message: 'Timeout',
        circuit: 'GET /slow',
      })
      expect(breaker.snapshot().failures).toBe(1)
      expect(breaker.activeCalls).toBe(0)

      release.resolve()
      expect(await late.promise).toBeUndefined()
      expect(breaker.snapshot().failures).toBe(1)
      expect(breaker.snapshot().successes).toBe(0)
      expect((await served.fetch('/fast')).status).toBe(200)
    })

    it('trips the circuit after enough timeouts', async () => {
      const { clock, registry } = fakeRegistry()
      const entered: Array<() => void> = []
      const app = express()
      app.get('/hang', circuitBreaker({ registry, timeout: 50, errorThreshold: 2 }), () => {
        entered.shift()?.()
      })
      const served = await serve(app)
      for (let i = 0; i < 2; i++) {
        const arrived = new Promise<void>((resolve) => entered.push(resolve))
        const answer = served.fetch('/hang')
        await arrived
        clock.advance(50)
        expect((await answer).status).toBe(503)
      }
      const refused = await served.fetch('/hang')
      expect(refused.json).toMatchObject({ code: 'ERR_CIRCUIT_OPEN' })
      expect(registry.get('GET /hang').state).toBe('open')
    })

    it('lets a handler that sent its headers in time finish, and judges it by status', async () => {
      const { clock, registry } = fakeRegistry()
      const headersSent = deferred()
      const release = deferred()
      const app = express()
      app.get('/stream', circuitBreaker({ registry, timeout: 100 }), async (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.write('first ')
        headersSent.resolve()
        await release.promise
        res.end('last')
      })
      const served = await serve(app)

      const answer = served.fetch('/stream')
      await headersSent.promise
      clock.advance(500)
      release.resolve()
      const streamed = await answer
      expect(streamed.status).toBe(200)
      expect(streamed.text).toBe('first last')
      expect(registry.get('GET /stream').snapshot().successes).toBe(1)
      expect(registry.get('GET /stream').snapshot().failures).toBe(0)
    })
  })

  describe('client abort', () => {
    it('ignores a request the client aborted: neither success nor failure', async () => {
      const { registry } = fakeRegistry()
      const entered = deferred()
      const closed = deferred()
      const app = express()
      app.get('/wait', circuitBreaker({ registry, errorThreshold: 1 }), (_req, res) => {
        // Registered after the middleware's own listener, so it runs after it.
        res.on('close', () => closed.resolve())
        entered.resolve()
      })
      const served = await serve(app)

      const controller = new AbortController()
      const request = fetch(`${served.base}/wait`, { signal: controller.signal }).catch(
        (e: unknown) => e,
      )
      await entered.promise
      const breaker = registry.get('GET /wait')
      expect(breaker.activeCalls).toBe(1)
      controller.abort()
      await closed.promise

      expect(await request).toBeInstanceOf(Error)
      expect(breaker.activeCalls).toBe(0)
      expect(breaker.snapshot()).toMatchObject({ failures: 0, successes: 0, state: 'closed' })
    })

    it('frees the half-open probe slot when the probe is aborted', async () => {
      const { clock, registry } = fakeRegistry()
      const entered = deferred()
      const closed = deferred()
      let hang = false
      const app = express()
      app.get(
        '/probe',
        circuitBreaker({ registry, errorThreshold: 1, recoveryTimeout: 1_000 }),
        (_req, res) => {
          if (!hang) {
            res.sendStatus(500)
            return
          }
          res.on('close', () => closed.resolve())
          entered.resolve()
        },
      )
      const served = await serve(app)
      expect(await statuses(served, '/probe', 2)).toEqual([500, 503])
      clock.advance(1_000)

      hang = true
      const controller = new AbortController()
      const probe = fetch(`${served.base}/probe`, { signal: controller.signal }).catch(
        (e: unknown) => e,
      )
      await entered.promise
      expect((await served.fetch('/probe')).status).toBe(503)
      controller.abort()
      await closed.promise
      await probe

      hang = false
      const next = await served.fetch('/probe')
      expect(next.json).not.toMatchObject({ code: 'ERR_CIRCUIT_OPEN' })
      expect(next.status).toBe(500)
    })
  })
})
