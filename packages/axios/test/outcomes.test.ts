import axios from 'axios'
import { describe, expect, it } from 'vitest'
import { type AxiosOutcomeContext, attachCircuitBreaker } from '../src/index.ts'
import { rejection, send, setup, upstream } from './helpers.ts'

describe('outcomes', () => {
  it.each([
    [500, 'failure'],
    [502, 'failure'],
    [503, 'failure'],
    [408, 'failure'],
    [429, 'failure'],
    [400, 'success'],
    [401, 'success'],
    [404, 'success'],
    [204, 'success'],
  ])('counts a %i answer as a %s', async (status, outcome) => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry })
    await send(http, `${up.base}/status/${status}`, 1)
    const snapshot = registry.get(up.base).snapshot()
    expect(snapshot.failures).toBe(outcome === 'failure' ? 1 : 0)
    expect(snapshot.successes).toBe(outcome === 'success' ? 1 : 0)
  })

  it('counts every 4xx as a failure with acceptClientErrors: false', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry, acceptClientErrors: false })
    await send(http, `${up.base}/status/404`, 1)
    await send(http, `${up.base}/status/201`, 1)
    expect(registry.get(up.base).snapshot()).toMatchObject({ failures: 1, successes: 1 })
  })

  it('classifies by status even when validateStatus accepts everything', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry, errorThreshold: 1 })
    const answer = await http.get(`${up.base}/status/503`, { validateStatus: () => true })
    expect(answer.status).toBe(503)
    expect(registry.get(up.base).state).toBe('open')
  })

  it('counts a dropped connection as a failure', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry })
    expect(await send(http, `${up.base}/drop`, 1)).toEqual(['ECONNRESET'])
    expect(registry.get(up.base).snapshot().failures).toBe(1)
  })

  it('counts a refused connection as a failure', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry, key: () => 'closed-port' })
    // Port 1 on loopback: nothing listens there.
    expect(await send(http, 'http://127.0.0.1:1/ok', 1)).toEqual(['ECONNREFUSED'])
    expect(registry.get('closed-port').snapshot().failures).toBe(1)
    expect(up.count).toBe(0)
  })

  it("counts axios's own timeout as a failure", async () => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry })
    const error = await rejection(http.get(`${up.base}/hang`, { timeout: 50 }))
    expect(axios.isAxiosError(error) && error.code).toBe('ECONNABORTED')
    expect(registry.get(up.base).snapshot()).toMatchObject({ failures: 1, activeCalls: 0 })
  })

  it('ignores a request aborted by an AbortController and frees its permit', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry, errorThreshold: 1 })
    const controller = new AbortController()
    const pending = http.get(`${up.base}/hang`, { signal: controller.signal })
    while (up.count === 0) await new Promise((resolve) => setImmediate(resolve))
    controller.abort()
    expect(axios.isCancel(await rejection(pending))).toBe(true)
    const snapshot = registry.get(up.base).snapshot()
    expect(snapshot).toMatchObject({ state: 'closed', calls: 0, activeCalls: 0 })
  })

  it('ignores a request canceled by a CancelToken before it was sent', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry })
    const source = axios.CancelToken.source()
    source.cancel('not needed')
    expect(
      axios.isCancel(await rejection(http.get(`${up.base}/ok`, { cancelToken: source.token }))),
    ).toBe(true)
    expect(registry.get(up.base).snapshot()).toMatchObject({ calls: 0, activeCalls: 0 })
    expect(up.count).toBe(0)
  })

  it('ignores a request canceled by a CancelToken in flight', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry })
    const source = axios.CancelToken.source()
    const pending = http.get(`${up.base}/hang`, { cancelToken: source.token })
    while (up.count === 0) await new Promise((resolve) => setImmediate(resolve))
    source.cancel('gave up')
    expect(axios.isCancel(await rejection(pending))).toBe(true)
    expect(registry.get(up.base).snapshot()).toMatchObject({ calls: 0, activeCalls: 0 })
  })

  it('frees a half-open probe slot when the probe is canceled', async () => {
    const up = await upstream()
    const { registry, http, clock } = setup()
    attachCircuitBreaker(http, { registry, errorThreshold: 1, recoveryTimeout: 1_000 })
    await send(http, `${up.base}/status/500`, 1)
    clock.advance(1_000)
    const controller = new AbortController()
    const probe = http.get(`${up.base}/hang`, { signal: controller.signal })
    while (up.count === 1) await new Promise((resolve) => setImmediate(resolve))
    expect(await send(http, `${up.base}/ok`, 1)).toEqual(['ERR_CIRCUIT_OPEN'])
    controller.abort()
    await rejection(probe)
    expect(await send(http, `${up.base}/ok`, 1)).toEqual(['200'])
    expect(registry.get(up.base).state).toBe('closed')
  })

  it('lets detectError decide, with the response, the error and the config', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    const seen: AxiosOutcomeContext[] = []
    const detectError = (context: AxiosOutcomeContext) => {
      seen.push(context)
      return context.response?.status === 200
    }
    attachCircuitBreaker(http, { registry, detectError })
    await send(http, `${up.base}/ok`, 1)
    await send(http, `${up.base}/status/500`, 1)
    expect(registry.get(up.base).snapshot()).toMatchObject({ failures: 1, successes: 1 })
    expect(seen[0]).toMatchObject({ error: undefined, response: { status: 200 } })
    expect(seen[0]?.config.url).toBe(`${up.base}/ok`)
    expect(axios.isAxiosError(seen[1]?.error)).toBe(true)
    expect(seen[1]?.response?.status).toBe(500)
  })

  it('counts a failure and rejects with the error when detectError throws', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    const boom = new Error('classifier bug')
    attachCircuitBreaker(http, {
      registry,
      detectError: () => {
        throw boom
      },
    })
    expect(await rejection(http.get(`${up.base}/ok`))).toBe(boom)
    expect(registry.get(up.base).snapshot()).toMatchObject({ failures: 1, activeCalls: 0 })
  })
})
