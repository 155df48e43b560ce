import { CircuitBreakerRegistry, MemoryStore } from '@tripswitch/core'
import axios from 'axios'
import { describe, expect, it } from 'vitest'
import { attachCircuitBreaker } from '../src/index.ts'
import { rejection, send, setup, upstream } from './helpers.ts'

const OPTIONS = { errorThreshold: 1, recoveryTimeout: 1_000 }

describe('honorRetryAfter', () => {
  it.each([503, 429])(
    'keeps the circuit open as long as a %i Retry-After (seconds) asks',
    async (status) => {
      const up = await upstream()
      const { registry, http, clock } = setup()
      attachCircuitBreaker(http, { registry, ...OPTIONS })
      await send(http, `${up.base}/status/${status}?retry-after=120`, 1)
      expect(await rejection(http.get(`${up.base}/ok`))).toMatchObject({
        code: 'ERR_CIRCUIT_OPEN',
        state: 'open',
        retryAfterMs: 120_000,
      })
      clock.advance(60_000)
      const refused = await rejection(http.get(`${up.base}/ok`))
      expect(refused).toMatchObject({ circuit: up.base, retryAfterMs: 60_000 })
      expect((refused as { config: { url: string } }).config.url).toBe(`${up.base}/ok`)
      expect(registry.health().status).toBe('degraded')
      clock.advance(60_000)
      expect(await send(http, `${up.base}/ok`, 1)).toEqual(['200'])
      expect(registry.get(up.base).state).toBe('closed')
      expect(up.count).toBe(2)
    },
  )

  it('reads an HTTP-date Retry-After on the breaker clock', async () => {
    const up = await upstream()
    const { registry, http, clock } = setup({}, Date.parse('2030-01-01T00:00:00Z'))
    attachCircuitBreaker(http, { registry, ...OPTIONS })
    const date = encodeURIComponent('Tue, 01 Jan 2030 00:05:00 GMT')
    await send(http, `${up.base}/status/503?retry-after=${date}`, 1)
    clock.advance(299_999)
    expect(await send(http, `${up.base}/ok`, 1)).toEqual(['ERR_CIRCUIT_OPEN'])
    clock.advance(1)
    expect(await send(http, `${up.base}/ok`, 1)).toEqual(['200'])
  })

  it('changes nothing when Retry-After is shorter than the open duration, or malformed', async () => {
    const up = await upstream()
    const { registry, http, clock } = setup()
    attachCircuitBreaker(http, { registry, errorThreshold: 1, recoveryTimeout: 10_000 })
    await send(http, `${up.base}/status/503?retry-after=2`, 1)
    expect(await rejection(http.get(`${up.base}/ok`))).toMatchObject({ retryAfterMs: 10_000 })
    clock.advance(10_000)
    await send(http, `${up.base}/status/503?retry-after=soon`, 1)
    clock.advance(10_000)
    expect(await send(http, `${up.base}/ok`, 1)).toEqual(['200'])
  })

  it('ignores Retry-After on other statuses, before the trip, and with honorRetryAfter: false', async () => {
    const up = await upstream()
    const { registry, http, clock } = setup()
    attachCircuitBreaker(http, { registry, errorThreshold: 2, recoveryTimeout: 1_000 })
    const hinted = `${up.base}/status/500?retry-after=120`
    await send(http, hinted, 2)
    clock.advance(1_000)
    expect(await send(http, `${up.base}/ok`, 1)).toEqual(['200'])
    const config = { circuitBreaker: { honorRetryAfter: false } }
    await http.get(`${up.base}/status/503?retry-after=120`, config).catch(() => undefined)
    await http.get(`${up.base}/status/503?retry-after=120`, config).catch(() => undefined)
    expect(registry.get(up.base).state).toBe('open')
    clock.advance(1_000)
    expect(await send(http, `${up.base}/ok`, 1)).toEqual(['200'])
  })

  it('ends the hold when the circuit is reset', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry, ...OPTIONS })
    await send(http, `${up.base}/status/503?retry-after=600`, 1)
    registry.get(up.base).reset()
    expect(await send(http, `${up.base}/ok`, 1)).toEqual(['200'])
  })

  it('is the breaker state itself: snapshot, health and reject events show it', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry, ...OPTIONS })
    await send(http, `${up.base}/status/429?retry-after=90`, 1)
    expect(registry.health()).toMatchObject({ status: 'degraded', open: [up.base] })
    const breaker = registry.get(up.base)
    const rejected: number[] = []
    breaker.on('reject', ({ error }) =>
      rejected.push((error as { retryAfterMs: number }).retryAfterMs),
    )
    expect(breaker.snapshot()).toMatchObject({ state: 'open', retryAfterMs: 90_000 })
    expect(await send(http, `${up.base}/ok`, 1)).toEqual(['ERR_CIRCUIT_OPEN'])
    expect(rejected).toEqual([90_000])
  })

  it('reaches another process sharing the store (a second registry on the same store)', async () => {
    const up = await upstream()
    const { clock, registry, http } = setup()
    const store = new MemoryStore({ clock })
    const here = new CircuitBreakerRegistry({ store, clock })
    const there = new CircuitBreakerRegistry({ store, clock })
    const elsewhere = axios.create()
    attachCircuitBreaker(http, { registry: here, ...OPTIONS })
    attachCircuitBreaker(elsewhere, { registry: there, ...OPTIONS })
    expect(registry.size).toBe(0)
    expect(await send(elsewhere, `${up.base}/ok`, 1)).toEqual(['200'])
    await send(http, `${up.base}/status/503?retry-after=120`, 1)
    expect(await rejection(elsewhere.get(`${up.base}/ok`))).toMatchObject({
      code: 'ERR_CIRCUIT_OPEN',
      retryAfterMs: 120_000,
    })
    expect(up.count).toBe(2)
  })

  it('remembers a Retry-After from before the trip while it lasts', async () => {
    const up = await upstream()
    const { registry, http, clock } = setup()
    attachCircuitBreaker(http, { registry, errorThreshold: 2, recoveryTimeout: 1_000 })
    await send(http, `${up.base}/status/429?retry-after=60`, 1)
    clock.advance(20_000)
    await send(http, `${up.base}/status/500`, 1)
    expect(registry.get(up.base).retryAfterMs).toBe(40_000)
  })
})

describe('maxRetryAfter', () => {
  const FOREVER = 'retry-after=99999999' // 3.17 years, in seconds

  it('caps how long an upstream Retry-After holds the circuit open', async () => {
    const up = await upstream()
    const { registry, http, clock } = setup()
    attachCircuitBreaker(http, { registry, ...OPTIONS, maxRetryAfter: 60_000 })
    await send(http, `${up.base}/status/503?${FOREVER}`, 1)
    const breaker = registry.get(up.base)
    expect(breaker.state).toBe('open')
    expect(breaker.retryAfterMs).toBeLessThanOrEqual(60_000)
    expect(breaker.retryAfterMs).toBeGreaterThan(OPTIONS.recoveryTimeout)
    clock.advance(60_000)
    expect(await send(http, `${up.base}/ok`, 1)).toEqual(['200'])
    expect(breaker.state).toBe('closed')
  })

  it('defaults to the larger of recoveryTimeout and 10 minutes', async () => {
    const up = await upstream()
    const { registry, http, clock } = setup()
    attachCircuitBreaker(http, { registry, ...OPTIONS })
    await send(http, `${up.base}/status/429?${FOREVER}`, 1)
    const breaker = registry.get(up.base)
    expect(breaker.retryAfterMs).toBeLessThanOrEqual(600_000)
    expect(breaker.retryAfterMs).toBeGreaterThan(OPTIONS.recoveryTimeout)
    clock.advance(600_000)
    expect(await send(http, `${up.base}/ok`, 1)).toEqual(['200'])
  })

  it('defaults to backoff.maxRecoveryTimeout when backoff is set', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    const backoff = { maxRecoveryTimeout: 60_000 }
    attachCircuitBreaker(http, { registry, ...OPTIONS, backoff })
    await send(http, `${up.base}/status/503?${FOREVER}`, 1)
    expect(registry.get(up.base).retryAfterMs).toBeLessThanOrEqual(60_000)
  })

  it('is a per-request breaker option too, checked by core', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry, ...OPTIONS })
    const circuitBreaker = { key: 'capped', maxRetryAfter: 30_000 }
    await rejection(http.get(`${up.base}/status/503?${FOREVER}`, { circuitBreaker }))
    expect(registry.get('capped').retryAfterMs).toBeLessThanOrEqual(30_000)
    const bad = { key: 'bad', maxRetryAfter: -1 }
    const error = await rejection(http.get(`${up.base}/ok`, { circuitBreaker: bad }))
    expect(error).toMatchObject({
      code: 'ERR_CIRCUIT_OPTIONS',
      option: 'circuitBreaker.maxRetryAfter',
    })
  })
})
