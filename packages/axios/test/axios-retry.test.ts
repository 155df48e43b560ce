import { isCircuitOpenError } from '@tripswitch/core'
import axiosRetry, { isNetworkOrIdempotentRequestError } from 'axios-retry'
import { describe, expect, it } from 'vitest'
import { attachCircuitBreaker, unlessCircuitOpen } from '../src/index.ts'
import { rejection, setup, upstream } from './helpers.ts'

// The documented order: the breaker first (innermost), then axios-retry.
describe('with axios-retry', () => {
  it('counts each attempt as one call through the breaker', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry, errorThreshold: 10 })
    axiosRetry(http, { retries: 3 })
    expect((await http.get(`${up.base}/flaky/2`)).status).toBe(200)
    expect(up.count).toBe(3)
    expect(registry.get(up.base).snapshot()).toMatchObject({
      failures: 2,
      successes: 1,
      activeCalls: 0,
    })
  })

  it('stops at the trip: retries never reach the upstream while the circuit is open', async () => {
    const up = await upstream()
    // Breaker options in the registry: the test creates the breaker first, to listen to it.
    const { registry, http } = setup({ defaults: { errorThreshold: 3 } })
    attachCircuitBreaker(http, { registry })
    axiosRetry(http, { retries: 5 })
    let refusals = 0
    registry.get(up.base).on('reject', () => refusals++)
    const error = await rejection(http.get(`${up.base}/status/503`))
    expect(isCircuitOpenError(error)).toBe(true)
    expect(up.count).toBe(3)
    // axios-retry's default condition takes a refusal for a network error and retries it:
    // attempts 4, 5 and 6 are each refused without being sent.
    expect(refusals).toBe(3)
  })

  it('does not retry a refusal with unlessCircuitOpen', async () => {
    const up = await upstream()
    // Breaker options in the registry: the test creates the breaker first, to listen to it.
    const { registry, http } = setup({ defaults: { errorThreshold: 3 } })
    attachCircuitBreaker(http, { registry })
    axiosRetry(http, {
      retries: 5,
      retryCondition: unlessCircuitOpen(isNetworkOrIdempotentRequestError),
    })
    let refusals = 0
    registry.get(up.base).on('reject', () => refusals++)
    const error = await rejection(http.get(`${up.base}/status/503`))
    expect(error).toMatchObject({ code: 'ERR_CIRCUIT_OPEN', circuit: up.base })
    expect(up.count).toBe(3)
    expect(refusals).toBe(1)
    // A request to the open circuit is refused once, not retried.
    await rejection(http.get(`${up.base}/ok`))
    expect(refusals).toBe(2)
    expect(up.count).toBe(3)
  })

  it('still retries network errors and 5xx with unlessCircuitOpen', async () => {
    const up = await upstream()
    const { registry, http } = setup()
    attachCircuitBreaker(http, { registry, errorThreshold: 10 })
    axiosRetry(http, {
      retries: 2,
      retryCondition: unlessCircuitOpen(isNetworkOrIdempotentRequestError),
    })
    await rejection(http.get(`${up.base}/drop`))
    expect(up.count).toBe(3)
    expect(registry.get(up.base).snapshot().failures).toBe(3)
  })
})
