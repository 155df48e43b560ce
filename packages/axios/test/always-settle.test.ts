import type { CircuitBreaker } from '@tripswitch/core'
import axios, { type AxiosInstance, type InternalAxiosRequestConfig } from 'axios'
import { describe, expect, it } from 'vitest'
import { attachCircuitBreaker } from '../src/index.ts'
import { rejection, send, setup, type Upstream, upstream } from './helpers.ts'

// Every request a breaker admits is settled exactly once, whatever the user's hooks or the rest
// of axios's chain do, and nothing the adapter runs may crash the process (vitest fails the run
// on an uncaught error or unhandled rejection). Real axios against a real node:http upstream.

/** An instance whose upstream breaker is half-open: one 500 tripped it, recoveryTimeout passed. */
async function halfOpen(
  prepare: (http: AxiosInstance) => void = () => undefined,
  options: Parameters<typeof attachCircuitBreaker>[1] = {},
): Promise<{ up: Upstream; http: AxiosInstance; breaker: CircuitBreaker }> {
  const up = await upstream()
  const { registry, http, clock } = setup()
  prepare(http)
  attachCircuitBreaker(http, { registry, errorThreshold: 1, recoveryTimeout: 1_000, ...options })
  expect(await send(http, `${up.base}/status/500`, 1)).toEqual(['500'])
  const breaker = registry.get(up.base)
  expect(breaker.state).toBe('open')
  clock.advance(1_000)
  return { up, http, breaker }
}

/** The next request probes: it goes out, succeeds and closes the circuit. */
async function probeCloses(http: AxiosInstance, up: Upstream, breaker: CircuitBreaker) {
  expect(await send(http, `${up.base}/ok`, 1)).toEqual(['200'])
  expect(breaker.state).toBe('closed')
  expect(breaker.activeCalls).toBe(0)
}

const BAD_KEYS: ReadonlyArray<readonly [string, unknown]> = [
  ['undefined', undefined],
  ['a number', 42],
  ['an empty string', ''],
  ['a 100,000-character string', 'k'.repeat(100_000)],
]

describe('a key function that gives no usable key', () => {
  it.each(BAD_KEYS)('rejects %s before sending anything', async (_what, bad) => {
    const up = await upstream()
    const { registry, http } = setup()
    const key = (() => bad) as unknown as (config: InternalAxiosRequestConfig) => string
    attachCircuitBreaker(http, { registry, key })
    const error = (await rejection(http.get(`${up.base}/ok`))) as {
      option: string
      message: string
    }
    expect(error).toMatchObject({ code: 'ERR_CIRCUIT_OPTIONS', option: 'key' })
    expect(error.message.length).toBeLessThan(250)
    expect(up.count).toBe(0)
    expect(registry.size).toBe(0)
  })

  it('rejects with what a throwing key function threw', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    const bug = new Error('key bug')
    attachCircuitBreaker(http, {
      registry,
      key: () => {
        throw bug
      },
    })
    expect(await rejection(http.get(`${up.base}/ok`))).toBe(bug)
    expect(up.count).toBe(0)
  })
})

describe('a half-open probe settles once, freeing its slot, when', () => {
  it('transformRequest throws before anything is sent: no permit is taken', async () => {
    const { up, http, breaker } = await halfOpen()
    const bug = new Error('transformRequest bug')
    const transformRequest = () => {
      throw bug
    }
    expect(await rejection(http.post(`${up.base}/ok`, { a: 1 }, { transformRequest }))).toBe(bug)
    expect(breaker.activeCalls).toBe(0)
    expect(breaker.state).toBe('half_open')
    await probeCloses(http, up, breaker)
  })

  it('a request interceptor running after the breaker throws: no permit is taken', async () => {
    const bug = new Error('interceptor bug')
    let failing = false
    // Added first, so axios runs it after the breaker's own request interceptor.
    const { up, http, breaker } = await halfOpen((instance) => {
      instance.interceptors.request.use((config) => {
        if (failing) throw bug
        return config
      })
    })
    failing = true
    expect(await rejection(http.get(`${up.base}/ok`))).toBe(bug)
    expect(breaker.activeCalls).toBe(0)
    failing = false
    await probeCloses(http, up, breaker)
  })

  it('detectError throws: a failure, the circuit reopens, the request rejects with it', async () => {
    const bug = new Error('detectError bug')
    let throwing = false
    const detectError = ({ response }: { response?: { status: number } | undefined }) => {
      if (throwing) throw bug
      return (response?.status ?? 500) >= 500
    }
    const { up, http, breaker } = await halfOpen(undefined, { detectError })
    throwing = true
    expect(await rejection(http.get(`${up.base}/ok`))).toBe(bug)
    expect(breaker.activeCalls).toBe(0)
    expect(breaker.state).toBe('open')
  })

  it('axios times out: a failure, the circuit reopens', async () => {
    const { up, http, breaker } = await halfOpen()
    const error = await rejection(http.get(`${up.base}/hang`, { timeout: 20 }))
    expect(axios.isAxiosError(error) && error.code).toBe('ECONNABORTED')
    expect(breaker.activeCalls).toBe(0)
    expect(breaker.state).toBe('open')
  })

  it('the connection drops: a failure, the circuit reopens', async () => {
    const { up, http, breaker } = await halfOpen()
    await rejection(http.get(`${up.base}/drop`))
    expect(breaker.activeCalls).toBe(0)
    expect(breaker.state).toBe('open')
  })

  it('transformResponse throws on an answer: the upstream answered, a success', async () => {
    const { up, http, breaker } = await halfOpen()
    const bug = new Error('transformResponse bug')
    const transformResponse = () => {
      throw bug
    }
    await rejection(http.get(`${up.base}/ok`, { transformResponse }))
    expect(breaker.activeCalls).toBe(0)
    expect(breaker.state).toBe('closed')
  })
})

describe('retries and detach', () => {
  it('a config sent again (as axios-retry does) takes one permit per attempt', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry, errorThreshold: 10 })
    const first = await rejection(http.get(`${up.base}/status/500`))
    const config = (first as { config: InternalAxiosRequestConfig }).config
    await rejection(http.request(config))
    await rejection(http.request(config))
    expect(registry.get(up.base).snapshot()).toMatchObject({ failures: 3, activeCalls: 0 })
    expect(up.count).toBe(3)
  })

  it('after detach, a config sent again goes out unguarded and uncounted', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    const detach = attachCircuitBreaker(http, { registry, errorThreshold: 1 })
    const first = await rejection(http.get(`${up.base}/status/500`))
    expect(registry.get(up.base).state).toBe('open')
    detach()
    const config = (first as { config: InternalAxiosRequestConfig }).config
    const again = await rejection(http.request(config))
    expect(axios.isAxiosError(again) && again.response?.status).toBe(500)
    expect(registry.get(up.base).snapshot()).toMatchObject({ failures: 1, activeCalls: 0 })
  })
})

describe('maxConcurrent', () => {
  it('rejects past the bound with CircuitBusyError carrying the config, sending nothing', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry, maxConcurrent: 1 })
    const controller = new AbortController()
    const first = http.get(`${up.base}/hang`, { signal: controller.signal })
    while (up.count === 0) await new Promise((resolve) => setImmediate(resolve))
    const busy = await rejection(http.get(`${up.base}/ok`))
    expect(busy).toMatchObject({ code: 'ERR_CIRCUIT_BUSY', circuit: up.base })
    expect((busy as { config: InternalAxiosRequestConfig }).config.url).toBe(`${up.base}/ok`)
    expect(up.count).toBe(1)
    controller.abort()
    await rejection(first)
    const breaker = registry.get(up.base)
    expect(breaker.activeCalls).toBe(0)
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', failures: 0 })
    expect(await send(http, `${up.base}/ok`, 1)).toEqual(['200'])
  })
})
