import { CircuitBreakerRegistry, OVERFLOW_BREAKER_NAME } from '@tripswitch/core'
import axios, { type AxiosResponse, type InternalAxiosRequestConfig } from 'axios'
import { describe, expect, it } from 'vitest'
import { attachCircuitBreaker } from '../src/index.ts'
import { send, setup, upstream } from './helpers.ts'

describe('keys', () => {
  it('keys by origin by default, with baseURL and relative URLs', async () => {
    const up = await upstream()
    const { registry } = setup()
    const http = axios.create({ baseURL: `${up.base}/` })
    attachCircuitBreaker(http, { registry })
    await http.get('ok')
    await send(http, '/status/404?x=1', 1)
    expect(registry.list().map((b) => b.name)).toEqual([up.base])
    expect(registry.get(up.base).snapshot().successes).toBe(2)
  })

  it('keys an absolute URL by its own origin, lower-cased, default port dropped', async () => {
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry, key: 'origin' })
    // A stub adapter: nothing leaves the process.
    const adapter = async (config: InternalAxiosRequestConfig): Promise<AxiosResponse> => ({
      data: null,
      status: 200,
      statusText: 'OK',
      headers: {},
      config,
    })
    await http.get('HTTP://Example.COM:80/a?b=c', { adapter })
    await http.get('https://example.com:443/', { adapter })
    expect(registry.list().map((b) => b.name)).toEqual([
      'http://example.com',
      'https://example.com',
    ])
  })

  it("keys by host:port with key: 'host'", async () => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry, key: 'host' })
    await http.get(`${up.base}/ok`)
    expect(registry.has(up.base.replace('http://', ''))).toBe(true)
  })

  it('keys by a function of the config', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, {
      registry,
      errorThreshold: 1,
      key: (config) => `${config.method} ${new URL(config.url ?? '').pathname}`,
    })
    await send(http, `${up.base}/status/500`, 2)
    await send(http, `${up.base}/ok`, 1)
    expect(registry.get('get /status/500').state).toBe('open')
    expect(registry.get('get /ok').state).toBe('closed')
    expect(up.count).toBe(2)
  })

  it('takes a per-request key and per-request breaker options', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry, errorThreshold: 5 })
    const config = { circuitBreaker: { key: 'payments', errorThreshold: 1 } }
    await send(http, `${up.base}/status/503`, 1)
    await http.get(`${up.base}/status/503`, config).catch(() => undefined)
    expect(registry.get('payments').state).toBe('open')
    expect(registry.get(up.base).state).toBe('closed')
    const refused = await http.get(`${up.base}/ok`, config).catch((error: unknown) => error)
    expect(refused).toMatchObject({ code: 'ERR_CIRCUIT_OPEN', circuit: 'payments' })
    expect((await http.get(`${up.base}/ok`)).status).toBe(200)
  })

  it('takes per-request classification options', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry })
    await http
      .get(`${up.base}/status/404`, { circuitBreaker: { acceptClientErrors: false } })
      .catch(() => undefined)
    await http.get(`${up.base}/ok`, { circuitBreaker: { detectError: () => true } })
    expect(registry.get(up.base).snapshot()).toMatchObject({ failures: 2, successes: 0 })
  })

  it('goes through the registry bound: a full registry shares the overflow breaker', async () => {
    const up = await upstream()
    const registry = new CircuitBreakerRegistry({ maxBreakers: 1 })
    const { http } = setup()
    attachCircuitBreaker(http, { registry, key: (config) => config.url ?? '' })
    // The first key keeps a counted failure, so it is not idle and cannot be evicted.
    await send(http, `${up.base}/status/500`, 1)
    await send(http, `${up.base}/ok`, 1)
    expect(registry.size).toBe(1)
    expect(registry.snapshot()[OVERFLOW_BREAKER_NAME]?.successes).toBe(1)
  })
})
