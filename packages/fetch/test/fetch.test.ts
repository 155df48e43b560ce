import { isCircuitOpenError } from '@tripswitch/core'
import { Request as UndiciRequest, fetch as undiciFetch } from 'undici'
import { describe, expect, it } from 'vitest'
import { withCircuitBreaker } from '../src/index.ts'
import { rejection, send, setup, upstream } from './helpers.ts'

// The same behaviour with Node's global fetch and with undici's own fetch, against a real
// node:http upstream. Time moves with the registry's FakeClock.
// Each fetch takes only its own Request class as input.
const FETCHES = [
  ['the global fetch', globalThis.fetch, globalThis.Request],
  [
    'undici fetch',
    undiciFetch as unknown as typeof globalThis.fetch,
    UndiciRequest as unknown as typeof globalThis.Request,
  ],
] as const

describe.each(FETCHES)('withCircuitBreaker over %s', (_name, baseFetch, RequestClass) => {
  it('counts 5xx, 408 and 429 as failures and other answers as successes', async () => {
    const up = await upstream()
    const { registry } = setup()
    const guarded = withCircuitBreaker(baseFetch, { registry, errorThreshold: 100 })
    const statuses = ['200', '201', '404', '400', '408', '429', '500', '503']
    for (const status of statuses) await send(guarded, `${up.base}/status/${status}`, 1)
    const { totals } = registry.get(up.base).snapshot()
    expect([totals.successful, totals.failed]).toEqual([4, 4])
  })

  it('counts every 4xx as a failure with acceptClientErrors: false', async () => {
    const up = await upstream()
    const { registry } = setup()
    const guarded = withCircuitBreaker(baseFetch, { registry, acceptClientErrors: false })
    expect(await send(guarded, `${up.base}/status/404`, 1)).toEqual(['404'])
    expect(registry.get(up.base).snapshot().totals.failed).toBe(1)
  })

  it('opens after errorThreshold failures, then rejects at once without sending', async () => {
    const up = await upstream()
    const { registry } = setup()
    const guarded = withCircuitBreaker(baseFetch, { registry, errorThreshold: 3 })
    expect(await send(guarded, `${up.base}/status/503`, 3)).toEqual(['503', '503', '503'])
    const error = await rejection(guarded(`${up.base}/ok`))
    expect(isCircuitOpenError(error)).toBe(true)
    expect(error).toMatchObject({ code: 'ERR_CIRCUIT_OPEN', circuit: up.base, state: 'open' })
    expect(up.count).toBe(3)
  })

  it('returns a failing answer with its body untouched', async () => {
    const up = await upstream()
    const { registry } = setup()
    const guarded = withCircuitBreaker(baseFetch, { registry })
    const response = await guarded(`${up.base}/status/502`)
    expect(response.bodyUsed).toBe(false)
    expect(await response.json()).toEqual({ status: 502 })
    expect(registry.get(up.base).snapshot().totals.failed).toBe(1)
  })

  it('counts a dropped connection and a refused one as failures, rejecting as fetch does', async () => {
    const up = await upstream()
    const { registry } = setup()
    const guarded = withCircuitBreaker(baseFetch, { registry, errorThreshold: 100 })
    const dropped = await rejection(guarded(`${up.base}/drop`))
    expect(dropped).toBeInstanceOf(TypeError)
    // Port 1 on loopback: nothing listens there, the connection is refused.
    expect(await rejection(guarded('http://127.0.0.1:1/ok'))).toBeInstanceOf(TypeError)
    expect(registry.get(up.base).snapshot().totals.failed).toBe(1)
    expect(registry.get('http://127.0.0.1:1').snapshot().totals.failed).toBe(1)
  })

  it('keeps one breaker per origin by default, and per host:port with key: host', async () => {
    const [a, b] = [await upstream(), await upstream()]
    const { registry } = setup()
    const guarded = withCircuitBreaker(baseFetch, { registry, errorThreshold: 1 })
    await send(guarded, `${a.base}/status/500`, 1)
    expect(await send(guarded, `${b.base}/ok?x=1`, 1)).toEqual(['200'])
    expect(registry.get(a.base).state).toBe('open')
    expect(registry.get(b.base).state).toBe('closed')
    const byHost = setup().registry
    await send(withCircuitBreaker(baseFetch, { registry: byHost, key: 'host' }), `${a.base}/ok`, 1)
    expect(byHost.list().map((x) => x.name)).toEqual([a.base.replace('http://', '')])
  })

  it('uses a fixed name or a function of the request as the key', async () => {
    const up = await upstream()
    const { registry } = setup()
    await send(withCircuitBreaker(baseFetch, { registry, key: 'partner' }), `${up.base}/ok`, 1)
    const byMethod = withCircuitBreaker(baseFetch, {
      registry,
      key: (request) => `${request.method} ${new URL(request.url).pathname}`,
    })
    await byMethod(`${up.base}/ok`, { method: 'POST', body: 'x' })
    await byMethod(new RequestClass(`${up.base}/status/201`, { method: 'PUT', body: 'x' }))
    await byMethod(new URL(`${up.base}/ok`))
    expect(registry.list().map((x) => x.name)).toEqual([
      'partner',
      'POST /ok',
      'PUT /status/201',
      'GET /ok',
    ])
  })

  it('streams a body through untouched, chunk by chunk, after counting the success', async () => {
    const up = await upstream()
    const { registry } = setup()
    const guarded = withCircuitBreaker(baseFetch, { registry })
    const response = await guarded(`${up.base}/stream/5`)
    const breaker = registry.get(up.base)
    // Settled on the headers: the call is counted while the body is still arriving.
    expect(breaker.snapshot().totals.successful).toBe(1)
    expect(breaker.activeCalls).toBe(0)
    const chunks: string[] = []
    const decoder = new TextDecoder()
    for await (const chunk of response.body as AsyncIterable<Uint8Array>)
      chunks.push(decoder.decode(chunk))
    expect(chunks.join('')).toBe('chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n')
  })

  it("counts a 200 whose body is cut short as the success it answered; the body error is the caller's", async () => {
    const up = await upstream()
    const { registry } = setup()
    const guarded = withCircuitBreaker(baseFetch, { registry })
    const response = await guarded(`${up.base}/cut`)
    expect(response.status).toBe(200)
    expect(await rejection(response.text())).toBeInstanceOf(Error)
    const breaker = registry.get(up.base)
    expect(breaker.snapshot().totals).toMatchObject({ calls: 1, successful: 1, failed: 0 })
    expect(breaker.activeCalls).toBe(0)
  })

  it('lets a half-open probe through after recoveryTimeout; its success closes the circuit', async () => {
    const up = await upstream()
    const { registry, clock } = setup()
    const guarded = withCircuitBreaker(baseFetch, {
      registry,
      errorThreshold: 2,
      recoveryTimeout: 5_000,
    })
    expect(await send(guarded, `${up.base}/flaky/2`, 3)).toEqual(['503', '503', 'ERR_CIRCUIT_OPEN'])
    clock.advance(4_999)
    expect(await send(guarded, `${up.base}/flaky/2`, 1)).toEqual(['ERR_CIRCUIT_OPEN'])
    clock.advance(1)
    expect(await send(guarded, `${up.base}/flaky/2`, 1)).toEqual(['200'])
    expect(registry.get(up.base).state).toBe('closed')
    expect(up.count).toBe(3)
  })
})
