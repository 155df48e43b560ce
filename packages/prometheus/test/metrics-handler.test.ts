import { get, type IncomingMessage, type ServerResponse } from 'node:http'
import compression from 'compression'
import express from 'express'
import { Counter, Gauge, Registry, type RegistryContentType } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { metricsHandler, registerMetrics } from '../src/index.ts'
import {
  busyRegistry,
  fakeRegistry,
  HOSTILE,
  listen,
  parse,
  serveApp,
  serveHandler,
} from './helpers.ts'

/** Time allowed a test that reads 10,000 breakers (ms): CI runs every project at once. */
const HEAVY = 30_000

const LONE = ['\uD800alone', 'end\uDC00', 'a\uDBFFb\uDFFFc\uD83D\uDE80', 'naïve ☕', 'x\n"\\']

/** '' when `body` is the UTF-8 of `text`, else where they first differ. */
function difference(body: Buffer, text: string): string {
  const expected = Buffer.from(text)
  if (body.equals(expected)) return ''
  let i = 0
  while (i < body.length && body[i] === expected[i]) i++
  const around = (b: Buffer) => JSON.stringify(b.subarray(Math.max(0, i - 60), i + 60).toString())
  return `${body.length} bytes against ${expected.length}; at byte ${i}: ${around(body)} against ${around(expected)}`
}

/** A client that stops reading after the first chunk until resumed. */
function slowClient(url: string): { paused: Promise<void>; resume(): void; body: Promise<Buffer> } {
  let resume = () => {}
  let paused: () => void = () => {}
  const pausedPromise = new Promise<void>((resolve) => {
    paused = resolve
  })
  const body = new Promise<Buffer>((resolve, reject) => {
    get(url, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk)
        if (chunks.length === 1) {
          response.pause()
          paused()
        }
      })
      resume = () => response.resume()
      response.on('end', () => resolve(Buffer.concat(chunks)))
      response.on('error', reject)
    }).on('error', reject)
  })
  return { paused: pausedPromise, resume: () => resume(), body }
}

async function bodyOf(response: Response): Promise<Buffer> {
  return Buffer.from(await response.arrayBuffer())
}

/** A register with two breaker registries, user metrics around them, a histogram and a store. */
async function mixedRegister(openMetrics: boolean, count: number) {
  const register = new Registry<RegistryContentType>()
  if (openMetrics) register.setContentType(Registry.OPENMETRICS_CONTENT_TYPE)
  const jobs = new Counter({
    name: 'jobs_total',
    help: 'Jobs \\ done\nso far.',
    registers: [register],
  })
  jobs.inc(3)
  const inbound = await busyRegistry(count, [...HOSTILE, ...LONE])
  registerMetrics(inbound, { register, histogram: true, store: { unavailable: false } })
  new Gauge({ name: 'queue_depth', help: 'Queue depth.', registers: [register] }).set(7)
  const outbound = await busyRegistry(count >> 1)
  registerMetrics(outbound, { register, prefix: 'tripswitch_outbound_' })
  // A call timed by the histogram, so that it has series.
  await inbound.get('route-0').execute(() => 1)
  return { register, inbound, outbound }
}

describe('metricsHandler', () => {
  for (const openMetrics of [false, true]) {
    const format = openMetrics ? 'OpenMetrics' : 'Prometheus text'
    it(`answers byte for byte what register.metrics() returns (${format}, default labels, hostile names, two registrations)`, async () => {
      const { register } = await mixedRegister(openMetrics, 300)
      register.setDefaultLabels({ app: 'offer "svc"\n\\', name: 'must-not-win', lone: 'x\uD800' })
      const app = await serveHandler(metricsHandler({ register }))
      // Twice: the second scrape reuses the buffers and the encoded parts of the first.
      for (let round = 0; round < 2; round++) {
        const response = await app.get('/metrics')
        const body = await bodyOf(response)
        expect(response.status).toBe(200)
        expect(response.headers.get('content-type')).toBe(register.contentType)
        expect(difference(body, await register.metrics())).toBe('')
        expect(body.length).toBeGreaterThan(4 * 64 * 1024)
      }
      const text = await register.metrics()
      expect(text).toContain(openMetrics ? '\n# EOF\n' : 'tripswitch_calls_total{')
      if (openMetrics) expect(text).toContain('\njobs_total{app=')
      expect(text).toContain('tripswitch_call_duration_seconds_bucket{')
      expect(text).toContain('tripswitch_outbound_circuit_state{')
    })
  }

  it('answers byte for byte for 10,000 breakers', { timeout: HEAVY }, async () => {
    const { registry } = fakeRegistry({ maxBreakers: 10_000 })
    for (let i = 0; i < 10_000; i++) registry.get(`route-${i}`)
    for (let i = 0; i < 10_000; i += 10) await registry.get(`route-${i}`).execute(() => 1)
    registry.get('route-1').forceOpen()
    const register = new Registry()
    registerMetrics(registry, { register })
    const app = await serveHandler(metricsHandler({ register }))
    const body = await bodyOf(await app.get('/metrics'))
    expect(difference(body, await register.metrics())).toBe('')
    expect(body.length).toBeGreaterThan(8_000_000)
  })

  it('serves an Express route; an evicted breaker has no series at the next scrape', async () => {
    const { registry } = fakeRegistry({ maxBreakers: 2 })
    const register = new Registry()
    registerMetrics(registry, { register })
    const app = await serveApp(registry, register, { failing: false }, metricsHandler({ register }))
    expect((await app.get('/offer')).status).toBe(200)
    registry.get('idle-1')
    let scrape = parse(await (await app.get('/metrics')).text())
    expect(scrape.labelValues('tripswitch_circuit_state', 'name')).toEqual(['GET /offer', 'idle-1'])
    expect(scrape.value('tripswitch_calls_total', { name: 'GET /offer', kind: 'successful' })).toBe(
      1,
    )
    registry.get('idle-2') // the registry is full: the least recently used idle breaker goes
    scrape = parse(await (await app.get('/metrics')).text())
    expect(scrape.labelValues('tripswitch_circuit_state', 'name')).toEqual(['idle-1', 'idle-2'])
  })

  it('keeps concurrent scrapes apart, even when they wait for their clients mid-family', {
    timeout: HEAVY,
  }, async () => {
    const registry = await busyRegistry(10_000)
    const register = new Registry()
    registerMetrics(registry, { register })
    const handler = metricsHandler({ register })
    const responses: ServerResponse[] = []
    const app = await serveHandler((req, res) => {
      responses.push(res)
      return handler(req, res)
    })
    const expected = await register.metrics()
    const clients = [1, 2].map(() => slowClient(`${app.base}/metrics`))
    // Both scrapes are stopped mid-way, waiting for their clients to read: then both go on.
    await Promise.all(clients.map((client) => client.paused))
    while (responses.length < 2 || responses.some((res) => !res.writableNeedDrain))
      await new Promise((resolve) => setImmediate(resolve))
    for (const client of clients) client.resume()
    for (const body of await Promise.all(clients.map((client) => client.body)))
      expect(difference(body, expected)).toBe('')
    // And with plain concurrent fetches.
    const bodies = await Promise.all([1, 2, 3].map(async () => bodyOf(await app.get('/metrics'))))
    for (const body of bodies) expect(difference(body, expected)).toBe('')
  })

  it('streams through middleware that drops write callbacks (compression), gzipped', async () => {
    const registry = await busyRegistry(3_000)
    const register = new Registry()
    registerMetrics(registry, { register })
    const app = express()
    // compression's res.write takes no callback: the handler must not wait for one.
    app.use(compression({ threshold: 0 }))
    app.get('/metrics', metricsHandler({ register }))
    const served = await listen(app.listen(0, '127.0.0.1'))
    for (let round = 0; round < 2; round++) {
      const response = await served.get('/metrics')
      expect(response.headers.get('content-encoding')).toBe('gzip')
      // fetch inflates the body.
      expect(difference(await bodyOf(response), await register.metrics())).toBe('')
    }
  })

  it('answers HEAD with headers only, other methods 405 with Allow', async () => {
    const register = new Registry()
    registerMetrics(fakeRegistry().registry, { register })
    const app = await serveHandler(metricsHandler({ register }))
    const head = await app.fetch('/metrics', { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-type')).toBe(register.contentType)
    expect(await head.text()).toBe('')
    for (const method of ['POST', 'DELETE', 'OPTIONS']) {
      const refused = await app.fetch('/metrics', { method })
      expect(refused.status, method).toBe(405)
      expect(refused.headers.get('allow')).toBe('GET, HEAD')
    }
  })

  it('stops writing when the client goes away mid-scrape, and serves the next scrape whole', {
    timeout: HEAVY,
  }, async () => {
    const { registry } = fakeRegistry({ maxBreakers: 10_000 })
    for (let i = 0; i < 10_000; i++) registry.get(`route-${i}`)
    const register = new Registry()
    registerMetrics(registry, { register })
    const handler = metricsHandler({ register })
    const served: Array<{ done: Promise<void>; res: ServerResponse }> = []
    const app = await serveHandler((req: IncomingMessage, res: ServerResponse) => {
      const done = handler(req, res)
      served.push({ done, res })
      return done
    })
    const rejections: unknown[] = []
    const onRejection = (reason: unknown) => rejections.push(reason)
    process.on('unhandledRejection', onRejection)
    try {
      await new Promise<void>((resolve, reject) => {
        const request = get(`${app.base}/metrics`, (response) => {
          response.once('data', async () => {
            // Stop reading until the server waits for the socket to drain: it is mid-scrape.
            response.pause()
            const { res } = served[0]!
            while (!res.writableNeedDrain) await new Promise((r) => setImmediate(r))
            request.destroy()
            resolve()
          })
        })
        request.on('error', () => {})
        request.once('error', reject)
      })
      await served[0]!.done
      expect(served[0]!.res.writableFinished).toBe(false)
      const body = await bodyOf(await app.get('/metrics'))
      expect(difference(body, await register.metrics())).toBe('')
      // Rejections are reported after a turn of the event loop.
      await new Promise((r) => setImmediate(r))
      expect(rejections).toEqual([])
    } finally {
      process.off('unhandledRejection', onRejection)
    }
  })

  it('answers 500 when a metric fails before anything was sent', async () => {
    const register = new Registry()
    new Gauge({
      name: 'broken',
      help: 'Fails to collect.',
      registers: [register],
      collect() {
        throw new Error('collector down')
      },
    })
    const app = await serveHandler(metricsHandler({ register }))
    const response = await app.get('/metrics')
    expect(response.status).toBe(500)
    expect(await response.text()).toContain('collector down')
  })

  it('serves the default register and refuses bad options', async () => {
    const { register: globalRegister } = await import('prom-client')
    const unregister = registerMetrics(fakeRegistry().registry)
    try {
      const app = await serveHandler(metricsHandler())
      expect(
        difference(await bodyOf(await app.get('/metrics')), await globalRegister.metrics()),
      ).toBe('')
    } finally {
      unregister()
    }
    expect(() => metricsHandler({ register: {} as Registry })).toThrow(
      expect.objectContaining({ code: 'ERR_CIRCUIT_OPTIONS', option: 'register' }),
    )
    expect(() => metricsHandler({ registr: new Registry() } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_CIRCUIT_OPTIONS', option: 'registr' }),
    )
  })
})
