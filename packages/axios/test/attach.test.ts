import { CircuitOpenError, isCircuitOpenError } from '@tripswitch/core'
import { describe, expect, it } from 'vitest'
import { type AxiosCircuitOpenError, attachCircuitBreaker } from '../src/index.ts'
import { rejection, send, setup, upstream } from './helpers.ts'

describe('attachCircuitBreaker', () => {
  it('lets answers through and counts them on the origin breaker', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry })
    const answer = await http.get(`${up.base}/ok`)
    expect(answer.data).toEqual({ status: 200 })
    const breaker = registry.get(up.base)
    expect(breaker.snapshot()).toMatchObject({ successes: 1, failures: 0, activeCalls: 0 })
  })

  it('opens after errorThreshold failures and then refuses at once, sending nothing', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry, errorThreshold: 3, recoveryTimeout: 5_000 })
    expect(await send(http, `${up.base}/status/500`, 3)).toEqual(['500', '500', '500'])
    expect(registry.get(up.base).state).toBe('open')
    const error = await rejection(http.get(`${up.base}/ok`, { headers: { 'x-id': '7' } }))
    expect(up.count).toBe(3)
    expect(error).toBeInstanceOf(CircuitOpenError)
    expect(isCircuitOpenError(error)).toBe(true)
    const refused = error as AxiosCircuitOpenError
    expect(refused).toMatchObject({
      code: 'ERR_CIRCUIT_OPEN',
      circuit: up.base,
      state: 'open',
      retryAfterMs: 5_000,
    })
    expect(refused.config.url).toBe(`${up.base}/ok`)
    expect(refused.config.headers.get('x-id')).toBe('7')
    expect(registry.health()).toMatchObject({ status: 'degraded', open: [up.base] })
  })

  it('lets one probe through after recoveryTimeout and closes on its success', async () => {
    const up = await upstream()
    const { registry, http, clock } = setup()
    attachCircuitBreaker(http, { registry, errorThreshold: 2, recoveryTimeout: 5_000 })
    await send(http, `${up.base}/status/502`, 2)
    clock.advance(4_999)
    expect(await send(http, `${up.base}/ok`, 1)).toEqual(['ERR_CIRCUIT_OPEN'])
    clock.advance(1)
    expect(await send(http, `${up.base}/ok`, 2)).toEqual(['200', '200'])
    expect(registry.get(up.base).state).toBe('closed')
    expect(up.count).toBe(4)
  })

  it('reopens when the probe fails', async () => {
    const up = await upstream()
    const { registry, http, clock } = setup()
    attachCircuitBreaker(http, { registry, errorThreshold: 1, recoveryTimeout: 1_000 })
    await send(http, `${up.base}/status/500`, 1)
    clock.advance(1_000)
    expect(await send(http, `${up.base}/status/500`, 2)).toEqual(['500', 'ERR_CIRCUIT_OPEN'])
    expect(registry.get(up.base).state).toBe('open')
  })

  it('detach() ejects both interceptors', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    const detach = attachCircuitBreaker(http, { registry, errorThreshold: 1 })
    await send(http, `${up.base}/status/500`, 1)
    expect(await send(http, `${up.base}/ok`, 1)).toEqual(['ERR_CIRCUIT_OPEN'])
    detach()
    detach()
    expect(await send(http, `${up.base}/ok`, 1)).toEqual(['200'])
    expect(up.count).toBe(2)
    const active = (list: unknown[] | undefined) => (list ?? []).filter((h) => h !== null)
    expect(active(http.interceptors.request.handlers)).toEqual([])
    expect(active(http.interceptors.response.handlers)).toEqual([])
  })

  it('sends a request with circuitBreaker: false unguarded and uncounted', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry, errorThreshold: 1 })
    await http.get(`${up.base}/ok`, { circuitBreaker: false })
    await rejection(http.get(`${up.base}/status/500`, { circuitBreaker: false }))
    expect(registry.get(up.base).snapshot()).toMatchObject({ calls: 0, state: 'closed' })
    await send(http, `${up.base}/status/500`, 1)
    expect((await http.get(`${up.base}/ok`, { circuitBreaker: false })).status).toBe(200)
    expect(up.count).toBe(4)
  })

  it("uses core's default registry without a registry option", async () => {
    const { defaultRegistry } = await import('../src/index.ts')
    const core = await import('@tripswitch/core')
    expect(defaultRegistry).toBe(core.defaultRegistry)
    const up = await upstream()
    const { http } = setup()
    attachCircuitBreaker(http)
    expect(defaultRegistry().has(up.base)).toBe(false)
    await http.get(`${up.base}/ok`)
    expect(defaultRegistry().has(up.base)).toBe(true)
  })

  it('holds no permit after concurrent requests settle', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry, errorThreshold: 100 })
    const urls = ['/ok', '/status/500', '/status/404', '/drop'].map((p) => `${up.base}${p}`)
    await Promise.allSettled(urls.map((url) => http.get(url)))
    expect(registry.get(up.base).snapshot()).toMatchObject({
      activeCalls: 0,
      successes: 2,
      failures: 2,
    })
  })
})
