import { getEventListeners } from 'node:events'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { isCircuitTimeoutError } from '@tripswitch/core'
import { fetch as undiciFetch } from 'undici'
import { describe, expect, it } from 'vitest'
import { followerCount } from '../src/follow.ts'
import { withCircuitBreaker } from '../src/index.ts'
import { rejection, setup, until, upstream } from './helpers.ts'

// Caller aborts are ignored, the wrapper's timeout is a failure that aborts the request, and the
// two compose. The deadline runs on the registry's FakeClock: `clock.advance` fires it.
const FETCHES = [
  ['the global fetch', globalThis.fetch],
  ['undici fetch', undiciFetch as unknown as typeof globalThis.fetch],
] as const

describe.each(FETCHES)('aborts and timeouts with %s', (_name, baseFetch) => {
  it('ignores a request the caller aborts: nothing counted, the probe slot freed', async () => {
    const up = await upstream()
    const { registry } = setup()
    const guarded = withCircuitBreaker(baseFetch, { registry, errorThreshold: 1 })
    const controller = new AbortController()
    const pending = guarded(`${up.base}/hang`, { signal: controller.signal })
    await until(() => up.count === 1)
    controller.abort()
    expect(await rejection(pending)).toMatchObject({ name: 'AbortError' })
    const breaker = registry.get(up.base)
    expect(breaker.snapshot().totals).toMatchObject({ calls: 1, ignored: 1, failed: 0 })
    expect(breaker.activeCalls).toBe(0)
    expect(breaker.state).toBe('closed')
  })

  it('sends nothing and counts nothing when the signal is already aborted', async () => {
    const up = await upstream()
    const { registry } = setup()
    const guarded = withCircuitBreaker(baseFetch, { registry })
    const reason = new Error('gave up')
    expect(await rejection(guarded(`${up.base}/ok`, { signal: AbortSignal.abort(reason) }))).toBe(
      reason,
    )
    expect(up.count).toBe(0)
    expect(registry.size).toBe(0)
  })

  it('fails a request past timeout with CircuitTimeoutError and aborts it upstream', async () => {
    const up = await upstream()
    const { registry, clock } = setup()
    const guarded = withCircuitBreaker(baseFetch, { registry, timeout: 1_000, errorThreshold: 1 })
    const timeouts: number[] = []
    const pending = guarded(`${up.base}/hang`)
    await until(() => up.count === 1)
    registry.get(up.base).on('timeout', ({ timeoutMs }) => timeouts.push(timeoutMs))
    clock.advance(999)
    expect(registry.get(up.base).activeCalls).toBe(1)
    clock.advance(1)
    const error = await rejection(pending)
    expect(isCircuitTimeoutError(error)).toBe(true)
    expect(error).toMatchObject({ circuit: up.base, timeout: 1_000 })
    expect(timeouts).toEqual([1_000])
    const breaker = registry.get(up.base)
    expect(breaker.snapshot().totals).toMatchObject({ failed: 1, timeouts: 1 })
    expect(breaker.state).toBe('open')
    // The request was really aborted: the upstream saw its connection close.
    await until(() => up.closedEarly === 1)
    expect(clock.pendingTimers).toBe(0)
  })

  it('composes the caller signal with the timeout: a caller abort is still ignored', async () => {
    const up = await upstream()
    const { registry, clock } = setup()
    const guarded = withCircuitBreaker(baseFetch, { registry, timeout: 1_000 })
    const controller = new AbortController()
    const pending = guarded(`${up.base}/hang`, { signal: controller.signal })
    await until(() => up.count === 1)
    controller.abort(new Error('user left'))
    expect(await rejection(pending)).toMatchObject({ message: 'user left' })
    expect(registry.get(up.base).snapshot().totals).toMatchObject({ ignored: 1, timeouts: 0 })
    // The deadline's timer is gone with the request.
    expect(clock.pendingTimers).toBe(0)
  })

  it('clears the deadline when the headers arrive, and adds one listener to the caller signal for any number of requests', async () => {
    const up = await upstream()
    const { registry, clock } = setup()
    const guarded = withCircuitBreaker(baseFetch, { registry, timeout: 1_000 })
    const controller = new AbortController()
    for (let i = 0; i < 20; i++) {
      const response = await guarded(`${up.base}/ok`, { signal: controller.signal })
      await response.text()
    }
    expect(clock.pendingTimers).toBe(0)
    // One listener per caller signal, whatever the number of requests that used it.
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
    clock.advance(10_000)
    expect(registry.get(up.base).snapshot().totals).toMatchObject({ successful: 20, failed: 0 })
  })

  it('still lets the caller abort a streaming body after the headers (already counted)', async () => {
    const up = await upstream()
    const { registry } = setup()
    const guarded = withCircuitBreaker(baseFetch, { registry, timeout: 1_000 })
    const controller = new AbortController()
    const response = await guarded(`${up.base}/stream/1000`, { signal: controller.signal })
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    await reader.read()
    // Collections while the body streams must not drop the link from the caller's signal.
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    for (let i = 0; i < 3; i++) {
      gc()
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    controller.abort()
    expect(await rejection(reader.read())).toMatchObject({ name: 'AbortError' })
    expect(registry.get(up.base).snapshot().totals).toMatchObject({ successful: 1, failed: 0 })
  })

  it('honours the signal of a Request given as input', async () => {
    const up = await upstream()
    const { registry } = setup()
    const guarded = withCircuitBreaker(baseFetch, { registry, timeout: 5_000 })
    const controller = new AbortController()
    const url = `${up.base}/hang`
    const input =
      baseFetch === globalThis.fetch ? new Request(url, { signal: controller.signal }) : url
    const init = input === url ? { signal: controller.signal } : undefined
    const pending = guarded(input, init)
    await until(() => up.count === 1)
    controller.abort()
    await rejection(pending)
    expect(registry.get(up.base).snapshot().totals).toMatchObject({ ignored: 1, failed: 0 })
  })
})

describe('a fetch that ignores the signal', () => {
  it('still times out: a late answer counts a failure and rejects with the timeout', async () => {
    const { registry, clock } = setup()
    let answer: (response: Response) => void = () => undefined
    const stubborn = (_input: string | URL | Request, _init?: RequestInit) =>
      new Promise<Response>((resolve) => {
        answer = resolve
      })
    const guarded = withCircuitBreaker(stubborn, { registry, timeout: 100, key: 'stub' })
    const pending = guarded('http://stub.test/')
    await Promise.resolve()
    await Promise.resolve()
    clock.advance(100)
    answer(new Response('late'))
    expect(isCircuitTimeoutError(await rejection(pending))).toBe(true)
    expect(registry.get('stub').snapshot().totals).toMatchObject({ timeouts: 1, failed: 1 })
    expect(registry.get('stub').activeCalls).toBe(0)
  })
})

describe('a detectError that never settles', () => {
  it('is bounded by the timeout: the request fails with CircuitTimeoutError and frees its permit', async () => {
    const up = await upstream()
    const { registry, clock } = setup()
    let asked = false
    const guarded = withCircuitBreaker(fetch, {
      registry,
      timeout: 1_000,
      detectError: () => {
        asked = true
        return new Promise<boolean>(() => undefined)
      },
    })
    const pending = guarded(`${up.base}/ok`)
    await until(() => asked)
    const breaker = registry.get(up.base)
    expect(breaker.activeCalls).toBe(1)
    clock.advance(1_000)
    expect(isCircuitTimeoutError(await rejection(pending))).toBe(true)
    expect(breaker.activeCalls).toBe(0)
    expect(breaker.snapshot().totals).toMatchObject({ failed: 1, timeouts: 1 })
  })
})

describe('a long-lived caller signal used by many timed requests', () => {
  it('forgets each request once it is collected (no growth), and still aborts the ones in flight', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const up = await upstream()
    const { registry } = setup()
    const guarded = withCircuitBreaker(fetch, { registry, timeout: 60_000 })
    const shutdown = new AbortController()
    for (let i = 0; i < 50; i++)
      await (await guarded(`${up.base}/ok`, { signal: shutdown.signal })).text()
    for (let i = 0; i < 20 && followerCount(shutdown.signal) > 0; i++) {
      gc()
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    expect(followerCount(shutdown.signal)).toBe(0)
    const pending = guarded(`${up.base}/hang`, { signal: shutdown.signal })
    await until(() => up.count === 51)
    expect(followerCount(shutdown.signal)).toBe(1)
    shutdown.abort()
    expect(await rejection(pending)).toMatchObject({ name: 'AbortError' })
    expect(registry.get(up.base).snapshot().totals).toMatchObject({ successful: 50, ignored: 1 })
  })
})
