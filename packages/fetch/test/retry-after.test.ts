import { Agent, type Dispatcher, request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { withCircuitBreaker } from '../src/index.ts'
import { circuitBreaker } from '../src/undici.ts'
import { send, setup, upstream } from './helpers.ts'

// A failing 503/429 answer's Retry-After holds the circuit open at least that long, capped by
// the breaker's maxRetryAfter; a shorter one never shortens recoveryTimeout.

const agents: Agent[] = []
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.destroy()))
})

type Client = (url: string) => Promise<string>

const fetchClient = (options: object): Client => {
  const guarded = withCircuitBreaker(fetch, options)
  return async (url) => (await send(guarded, url, 1))[0]!
}

const undiciClient = (options: object): Client => {
  const base = new Agent()
  agents.push(base)
  const dispatcher: Dispatcher = base.compose(circuitBreaker(options))
  return async (url) => {
    try {
      const response = await request(url, { dispatcher })
      await response.body.text()
      return String(response.statusCode)
    } catch (error) {
      return String((error as { code?: string }).code)
    }
  }
}

describe.each([
  ['withCircuitBreaker(fetch)', fetchClient],
  ['the undici interceptor', undiciClient],
])('Retry-After with %s', (_name, client) => {
  it('holds the circuit open for the Retry-After seconds, past recoveryTimeout', async () => {
    const up = await upstream()
    const { registry, clock } = setup()
    const call = client({ registry, errorThreshold: 1, recoveryTimeout: 1_000 })
    expect(await call(`${up.base}/status/503?retry-after=120`)).toBe('503')
    const breaker = registry.get(up.base)
    expect(breaker.retryAfterMs).toBe(120_000)
    clock.advance(119_999)
    expect(await call(`${up.base}/ok`)).toBe('ERR_CIRCUIT_OPEN')
    clock.advance(1)
    expect(await call(`${up.base}/ok`)).toBe('200')
    expect(up.count).toBe(2)
  })

  it('reads an HTTP date on a 429', async () => {
    const up = await upstream()
    const { registry } = setup({}, Date.parse('2030-01-01T00:00:00Z'))
    const call = client({ registry, errorThreshold: 1, recoveryTimeout: 1_000 })
    const date = encodeURIComponent('Tue, 01 Jan 2030 00:01:00 GMT')
    expect(await call(`${up.base}/status/429?retry-after=${date}`)).toBe('429')
    expect(registry.get(up.base).retryAfterMs).toBe(60_000)
  })

  it('is capped by maxRetryAfter, even for hundreds of digits', async () => {
    const up = await upstream()
    const { registry } = setup()
    const call = client({
      registry,
      errorThreshold: 1,
      recoveryTimeout: 1_000,
      maxRetryAfter: 5_000,
    })
    expect(await call(`${up.base}/status/503?retry-after=${'9'.repeat(400)}`)).toBe('503')
    const breaker = registry.get(up.base)
    expect(breaker.retryAfterMs).toBe(5_000)
    expect(breaker.activeCalls).toBe(0)
  })

  it('is ignored with honorRetryAfter: false, on other statuses, and when malformed', async () => {
    const up = await upstream()
    const { registry } = setup()
    const off = client({
      registry,
      errorThreshold: 1,
      recoveryTimeout: 1_000,
      honorRetryAfter: false,
    })
    await off(`${up.base}/status/503?retry-after=120`)
    expect(registry.get(up.base).retryAfterMs).toBe(1_000)
    const other = setup().registry
    const call = client({ registry: other, errorThreshold: 1, recoveryTimeout: 1_000 })
    await call(`${up.base}/status/500?retry-after=120`)
    expect(other.get(up.base).retryAfterMs).toBe(1_000)
    const third = setup().registry
    const bad = client({ registry: third, errorThreshold: 1, recoveryTimeout: 1_000 })
    await bad(`${up.base}/status/503?retry-after=-5`)
    expect(third.get(up.base).retryAfterMs).toBe(1_000)
  })
})
