import { isCircuitBusyError, isCircuitOpenError } from '@tripswitch/core'
import { Agent, type Dispatcher, Pool, request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { circuitBreaker } from '../src/undici.ts'
import { rejection, setup, until, upstream } from './helpers.ts'

// The interceptor through a real undici Agent and Pool against a real node:http upstream.

const dispatchers: Dispatcher[] = []
afterEach(async () => {
  await Promise.all(dispatchers.splice(0).map((d) => d.destroy()))
})

function agent(options: Parameters<typeof circuitBreaker>[0], agentOptions: Agent.Options = {}) {
  const base = new Agent(agentOptions)
  dispatchers.push(base)
  return base.compose(circuitBreaker(options))
}

/** GETs `url` `count` times; statuses (body read to the end), or error codes. */
async function get(dispatcher: Dispatcher, url: string, count: number): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < count; i++) {
    try {
      const response = await request(url, { dispatcher })
      await response.body.text()
      out.push(String(response.statusCode))
    } catch (error) {
      out.push(String((error as { code?: string }).code))
    }
  }
  return out
}

describe('circuitBreaker() on an undici Agent', () => {
  it('counts 5xx, 408 and 429 as failures, other answers as successes, per origin', async () => {
    const up = await upstream()
    const { registry } = setup()
    const dispatcher = agent({ registry, errorThreshold: 100 })
    for (const status of [200, 404, 408, 429, 500, 503])
      await get(dispatcher, `${up.base}/status/${status}`, 1)
    expect(registry.list().map((b) => b.name)).toEqual([up.base])
    const { totals } = registry.get(up.base).snapshot()
    expect([totals.successful, totals.failed]).toEqual([2, 4])
  })

  it('opens after errorThreshold failures, then fails requests at once without sending', async () => {
    const up = await upstream()
    const { registry, clock } = setup()
    const dispatcher = agent({ registry, errorThreshold: 2, recoveryTimeout: 1_000 })
    expect(await get(dispatcher, `${up.base}/flaky/2`, 3)).toEqual([
      '503',
      '503',
      'ERR_CIRCUIT_OPEN',
    ])
    const refused = await rejection(request(`${up.base}/ok`, { dispatcher }))
    expect(isCircuitOpenError(refused)).toBe(true)
    expect(up.count).toBe(2)
    clock.advance(1_000)
    expect(await get(dispatcher, `${up.base}/flaky/2`, 1)).toEqual(['200'])
    expect(registry.get(up.base).state).toBe('closed')
  })

  it('counts a dropped connection, and a body cut short after a 200, as failures', async () => {
    const up = await upstream()
    const { registry } = setup()
    const dispatcher = agent({ registry, errorThreshold: 100 })
    expect(await get(dispatcher, `${up.base}/drop`, 1)).toEqual(['UND_ERR_SOCKET'])
    const response = await request(`${up.base}/cut`, { dispatcher })
    expect(response.statusCode).toBe(200)
    await rejection(response.body.text())
    const breaker = registry.get(up.base)
    expect(breaker.snapshot().totals).toMatchObject({ failed: 2, successful: 0 })
    expect(breaker.activeCalls).toBe(0)
  })

  it('holds the permit while the body streams, and counts the success at its end', async () => {
    const up = await upstream()
    const { registry } = setup()
    const dispatcher = agent({ registry })
    const response = await request(`${up.base}/stream/5`, { dispatcher })
    const breaker = registry.get(up.base)
    expect(breaker.activeCalls).toBe(1)
    expect(await response.body.text()).toBe('chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n')
    expect(breaker.activeCalls).toBe(0)
    expect(breaker.snapshot().totals.successful).toBe(1)
  })

  it('ignores a request the caller aborts, before or during the body', async () => {
    const up = await upstream()
    const { registry } = setup()
    const dispatcher = agent({ registry, errorThreshold: 1 })
    const before = new AbortController()
    const hanging = request(`${up.base}/hang`, { dispatcher, signal: before.signal })
    await until(() => up.count === 1)
    before.abort()
    await rejection(hanging)
    const during = new AbortController()
    const streaming = await request(`${up.base}/stream/1000`, { dispatcher, signal: during.signal })
    during.abort(new Error('user left'))
    await rejection(streaming.body.text())
    const breaker = registry.get(up.base)
    await until(() => breaker.activeCalls === 0)
    expect(breaker.snapshot().totals).toMatchObject({ ignored: 2, failed: 0 })
    expect(breaker.state).toBe('closed')
  })

  it("counts undici's headersTimeout as a failure", async () => {
    const up = await upstream()
    const { registry } = setup()
    const dispatcher = agent({ registry }, { headersTimeout: 50 })
    expect(await get(dispatcher, `${up.base}/hang`, 1)).toEqual(['UND_ERR_HEADERS_TIMEOUT'])
    expect(registry.get(up.base).snapshot().totals.failed).toBe(1)
  })

  it('a throwing detectError counts a failure and fails the request with its error', async () => {
    const up = await upstream()
    const { registry } = setup()
    const bug = new Error('detect bug')
    const dispatcher = agent({
      registry,
      detectError: () => {
        throw bug
      },
    })
    expect(await rejection(request(`${up.base}/ok`, { dispatcher }))).toBe(bug)
    const breaker = registry.get(up.base)
    await until(() => breaker.activeCalls === 0)
    expect(breaker.snapshot().totals.failed).toBe(1)
  })

  it('detectError sees the status and headers', async () => {
    const up = await upstream()
    const { registry } = setup()
    const dispatcher = agent({
      registry,
      detectError: ({ statusCode, headers }) =>
        statusCode === 200 && headers['content-type'] === 'application/json',
    })
    expect(await get(dispatcher, `${up.base}/ok`, 1)).toEqual(['200'])
    expect(registry.get(up.base).snapshot().totals.failed).toBe(1)
  })

  it('past maxConcurrent fails with CircuitBusyError, sending nothing', async () => {
    const up = await upstream()
    const { registry } = setup()
    const dispatcher = agent({ registry, maxConcurrent: 1 })
    const controller = new AbortController()
    const first = request(`${up.base}/hang`, { dispatcher, signal: controller.signal })
    await until(() => up.count === 1)
    expect(isCircuitBusyError(await rejection(request(`${up.base}/ok`, { dispatcher })))).toBe(true)
    controller.abort()
    await rejection(first)
    expect(up.count).toBe(1)
  })

  it('guards fetch given the composed agent as its dispatcher (refusals as the cause)', async () => {
    const up = await upstream()
    const { registry } = setup()
    const dispatcher = agent({ registry, errorThreshold: 1 })
    const init = { dispatcher } as unknown as RequestInit
    expect((await fetch(`${up.base}/status/500`, init)).status).toBe(500)
    // fetch wraps a dispatcher's error: TypeError('fetch failed') with it as the cause.
    const error = (await rejection(fetch(`${up.base}/ok`, init))) as TypeError
    expect(error).toBeInstanceOf(TypeError)
    expect(isCircuitOpenError(error.cause)).toBe(true)
    expect(up.count).toBe(1)
  })
})

describe('a raw dispatch handler that throws when told of a refusal', () => {
  it('is reported as a process warning, not an unhandled rejection', async () => {
    const up = await upstream()
    const { registry } = setup()
    const dispatcher = agent({ registry, errorThreshold: 1 })
    expect(await get(dispatcher, `${up.base}/status/500`, 1)).toEqual(['500'])
    const warned = new Promise<Error>((resolve) => process.once('warning', resolve))
    dispatcher.dispatch(
      { origin: up.base, path: '/ok', method: 'GET' },
      {
        onRequestStart: () => undefined,
        onResponseError: () => {
          throw new Error('handler bug')
        },
      },
    )
    expect((await warned).message).toContain('handler bug')
    expect(up.count).toBe(1)
  })
})

describe('circuitBreaker() on an undici Pool', () => {
  it('needs a fixed key (a Pool gives no origin), and then guards every request', async () => {
    const up = await upstream()
    const { registry } = setup()
    const pool = new Pool(up.base)
    dispatchers.push(pool)
    const unkeyed = pool.compose(circuitBreaker({ registry }))
    const error = await rejection(unkeyed.request({ path: '/ok', method: 'GET' }))
    expect(error).toMatchObject({ code: 'ERR_CIRCUIT_OPTIONS', option: 'key' })
    expect(up.count).toBe(0)
    const keyed = pool.compose(circuitBreaker({ registry, key: 'partner', errorThreshold: 2 }))
    for (let i = 0; i < 2; i++) {
      const response = await keyed.request({ path: '/status/503', method: 'GET' })
      await response.body.text()
    }
    const refused = await rejection(keyed.request({ path: '/ok', method: 'GET' }))
    expect(isCircuitOpenError(refused)).toBe(true)
    expect(up.count).toBe(2)
  })
})
