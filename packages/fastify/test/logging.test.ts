import { Writable } from 'node:stream'
import { CircuitBreakerRegistry } from '@tripswitch/core'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import circuitBreaker, { type FastifyCircuitBreakerOptions } from '../src/index.ts'
import { FakeClock, hit, statusHandler } from './support.ts'

// State changes go through the app's own pino logger (fastify.log): open at warn (40),
// half-open and close at info (30).

interface Line {
  level: number
  msg: string
  circuit?: string
  reason?: string
  retryAfterMs?: number
}

const apps: FastifyInstance[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

async function loggedApp(
  options: FastifyCircuitBreakerOptions,
): Promise<{ app: FastifyInstance; lines: Line[] }> {
  const lines: Line[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(text))
      done()
    },
  })
  const app = Fastify({ logger: { level: 'info', stream } })
  apps.push(app)
  await app.register(circuitBreaker, options)
  app.get('/svc', { config: { circuitBreaker: {} } }, statusHandler)
  await app.ready()
  return { app, lines: lines }
}

const ours = (lines: Line[]) => lines.filter((line) => line.msg.startsWith('tripswitch'))

describe('transition logging', () => {
  it('logs open at warn, half-open and close at info, through fastify.log', async () => {
    const clock = new FakeClock(1_000)
    const { app, lines } = await loggedApp({ clock, threshold: 1, resetTimeout: 5_000 })
    expect(await hit(app, '/svc?status=500')).toEqual([503])
    expect(ours(lines)).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'tripswitch: circuit open',
        circuit: 'GET /svc',
        reason: 'threshold',
        retryAfterMs: 5_000,
      }),
    ])
    clock.advance(5_000)
    expect(await hit(app, '/svc')).toEqual([200])
    expect(ours(lines).slice(1)).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'tripswitch: circuit half-open',
        circuit: 'GET /svc',
      }),
      expect.objectContaining({
        level: 30,
        msg: 'tripswitch: circuit closed',
        circuit: 'GET /svc',
      }),
    ])
  })

  it('logs nothing with logTransitions: false', async () => {
    const { app, lines } = await loggedApp({
      clock: new FakeClock(),
      threshold: 1,
      logTransitions: false,
    })
    expect(await hit(app, '/svc?status=500', 2)).toEqual([503, 503])
    expect(app.circuitBreakers.get('GET /svc').state).toBe('open')
    expect(ours(lines)).toEqual([])
  })

  it("leaves other code's breakers in a shared registry alone, and stops when the app closes", async () => {
    const registry = new CircuitBreakerRegistry({ clock: new FakeClock() })
    const { app, lines } = await loggedApp({ registry, threshold: 1 })
    registry.get('outbound', { errorThreshold: 1 }).forceOpen()
    expect(ours(lines)).toEqual([])
    await app.close()
    registry.get('GET /svc').forceOpen()
    expect(ours(lines)).toEqual([])
  })

  it.each([1, 'yes', null])('rejects logTransitions: %j', async (value) => {
    const app = Fastify()
    apps.push(app)
    const options = { logTransitions: value } as unknown as FastifyCircuitBreakerOptions
    await expect(app.register(circuitBreaker, options).ready()).rejects.toMatchObject({
      option: 'logTransitions',
      code: 'ERR_CIRCUIT_OPTIONS',
    })
  })
})
