import { isCircuitBusyError, isCircuitOpenError } from '@tripswitch/core'
import { describe, expect, it } from 'vitest'
import { type FetchCircuitOptions, withCircuitBreaker } from '../src/index.ts'
import { rejection, send, setup, until, upstream } from './helpers.ts'

// Every admitted request settles its permit exactly once, whatever the hooks do; a refused
// request sends nothing. Real global fetch against a real node:http upstream.

/** A half-open circuit on the upstream: one 500 tripped it, recoveryTimeout passed. */
async function halfOpen(options: FetchCircuitOptions = {}) {
  const up = await upstream()
  const { registry, clock } = setup()
  const guarded = withCircuitBreaker(fetch, {
    registry,
    errorThreshold: 1,
    recoveryTimeout: 1_000,
    ...options,
  })
  expect(await send(guarded, `${up.base}/status/500`, 1)).toEqual(['500'])
  const breaker = registry.get(up.base)
  clock.advance(1_000)
  expect(breaker.state).toBe('half_open')
  return { up, guarded, breaker }
}

describe('detectError', () => {
  it('overrides the status mapping, and may read a clone of the body', async () => {
    const up = await upstream()
    const { registry } = setup()
    const guarded = withCircuitBreaker(fetch, {
      registry,
      detectError: async (response) => {
        const body = (await response.clone().json()) as { status: number }
        return body.status === 201
      },
    })
    const created = await guarded(`${up.base}/status/201`)
    expect(await created.json()).toEqual({ status: 201 })
    expect(await send(guarded, `${up.base}/status/500`, 1)).toEqual(['500'])
    expect(registry.get(up.base).snapshot().totals).toMatchObject({ failed: 1, successful: 1 })
  })

  it.each([
    [
      'throws',
      () => {
        throw new Error('detect bug')
      },
    ],
    ['rejects', () => Promise.reject(new Error('detect bug'))],
  ])('that %s counts a failure, rejects with it, and frees the probe slot', async (_, bug) => {
    // The request that trips the circuit is classified; the probe's classification fails.
    const { up, guarded, breaker } = await halfOpen({
      detectError: (response, request) =>
        request.url.endsWith('/ok') ? bug() : response.status >= 500,
    })
    expect(await rejection(guarded(`${up.base}/ok`))).toMatchObject({ message: 'detect bug' })
    expect(breaker.activeCalls).toBe(0)
    expect(breaker.state).toBe('open')
    expect(breaker.snapshot().totals.failed).toBe(2)
  })
})

describe('onCircuitOpen', () => {
  it('answers a refused request with its Response; nothing is sent', async () => {
    const up = await upstream()
    const { registry } = setup()
    const seen: string[] = []
    const guarded = withCircuitBreaker(fetch, {
      registry,
      errorThreshold: 1,
      onCircuitOpen: (error, request) => {
        seen.push(`${error.code} ${request.method} ${request.url}`)
        return Response.json({ cached: true }, { headers: { 'x-cache': 'hit' } })
      },
    })
    await send(guarded, `${up.base}/status/503`, 1)
    const response = await guarded(`${up.base}/ok`)
    expect(await response.json()).toEqual({ cached: true })
    expect(seen).toEqual([`ERR_CIRCUIT_OPEN GET ${up.base}/ok`])
    expect(up.count).toBe(1)
  })

  it('rejects with the CircuitOpenError when it returns undefined, with its error when it throws', async () => {
    const up = await upstream()
    const { registry } = setup()
    const quiet = withCircuitBreaker(fetch, {
      registry,
      errorThreshold: 1,
      onCircuitOpen: () => undefined,
    })
    await send(quiet, `${up.base}/status/503`, 1)
    expect(isCircuitOpenError(await rejection(quiet(`${up.base}/ok`)))).toBe(true)
    const loud = withCircuitBreaker(fetch, {
      registry,
      onCircuitOpen: () => {
        throw new Error('no cache')
      },
    })
    expect(await rejection(loud(`${up.base}/ok`))).toMatchObject({ message: 'no cache' })
    expect(up.count).toBe(1)
  })
})

describe('maxConcurrent', () => {
  it('rejects past it with CircuitBusyError, sending nothing, and admits again once one ends', async () => {
    const up = await upstream()
    const { registry } = setup()
    const guarded = withCircuitBreaker(fetch, { registry, maxConcurrent: 1 })
    const controller = new AbortController()
    const first = guarded(`${up.base}/hang`, { signal: controller.signal })
    await until(() => up.count === 1)
    const busy = await rejection(guarded(`${up.base}/ok`))
    expect(isCircuitBusyError(busy)).toBe(true)
    expect(busy).toMatchObject({ code: 'ERR_CIRCUIT_BUSY', maxConcurrent: 1 })
    expect(up.count).toBe(1)
    controller.abort()
    await rejection(first)
    expect(await send(guarded, `${up.base}/ok`, 1)).toEqual(['200'])
  })
})

describe('a wrapped fetch that misbehaves', () => {
  it('throwing synchronously: rejects with its error and counts a failure', async () => {
    const { registry } = setup()
    const bug = new Error('sync throw')
    const broken = (_input: string, _init?: RequestInit): Promise<Response> => {
      throw bug
    }
    const guarded = withCircuitBreaker(broken, { registry, key: 'broken' })
    expect(await rejection(guarded('http://x.test/'))).toBe(bug)
    const breaker = registry.get('broken')
    expect(breaker.snapshot().totals.failed).toBe(1)
    expect(breaker.activeCalls).toBe(0)
  })

  it('a null init is no init, as fetch takes it', async () => {
    const up = await upstream()
    const { registry } = setup()
    const guarded = withCircuitBreaker(fetch, { registry })
    const response = await guarded(`${up.base}/ok`, null as unknown as RequestInit)
    expect(response.status).toBe(200)
    expect(registry.get(up.base).snapshot().totals.successful).toBe(1)
  })

  it('a key function that throws rejects with its error, and nothing is sent', async () => {
    const up = await upstream()
    const { registry } = setup()
    const bug = new Error('key bug')
    const guarded = withCircuitBreaker(fetch, {
      registry,
      key: () => {
        throw bug
      },
    })
    expect(await rejection(guarded(`${up.base}/ok`))).toBe(bug)
    expect(up.count).toBe(0)
  })
})
