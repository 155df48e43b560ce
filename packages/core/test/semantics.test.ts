import { getEventListeners } from 'node:events'
import {
  CircuitBreaker,
  type CircuitBreakerEvents,
  type CircuitBreakerOptions,
  isCircuitBusyError,
  isCircuitOpenError,
  MemoryStore,
  type Permit,
} from '@tripswitch/core'
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../src/testing/fake-clock.ts'

// The semantics users of resilience4j, opossum and cockatiel port their tests against.

function make(options: CircuitBreakerOptions = {}) {
  const clock = new FakeClock(1_000)
  const breaker = new CircuitBreaker({ name: 'svc', clock, ...options })
  return { clock, breaker }
}

function record<K extends keyof CircuitBreakerEvents>(breaker: CircuitBreaker, event: K) {
  const seen: Array<CircuitBreakerEvents[K]> = []
  breaker.on(event, (payload) => seen.push(payload))
  return seen
}

const ok = () => Promise.resolve('ok')
const down = new Error('down')
const boom = () => Promise.reject(down)
const flush = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Trips the breaker (errorThreshold 1 or a rate that one failure reaches) and waits past it. */
async function halfOpenNow(breaker: CircuitBreaker, clock: FakeClock): Promise<void> {
  await breaker.execute(boom).catch(() => undefined)
  expect(breaker.state).toBe('open')
  clock.advance(breaker.retryAfterMs)
}

describe('half-open that cannot get stuck (resilience4j maxWaitDurationInHalfOpenState)', () => {
  it('reopens a half-open circuit fed only ignored probes once halfOpenMaxWait has passed', async () => {
    class Aborted extends Error {}
    const { breaker, clock } = make({
      errorThreshold: 1,
      recoveryTimeout: 1_000,
      halfOpenMaxWait: 5_000,
      ignoreErrors: [Aborted],
    })
    const opened = record(breaker, 'open')
    await halfOpenNow(breaker, clock)
    for (let i = 0; i < 5; i++) {
      await breaker.execute(() => Promise.reject(new Aborted())).catch(() => undefined)
      expect(breaker.state).toBe('half_open')
      clock.advance(999)
    }
    clock.advance(5)
    expect(breaker.state).toBe('open')
    expect(opened.at(-1)).toMatchObject({ reason: 'half-open-timeout', error: undefined })
  })

  it('reopens when the only probe never settles, and closes instead when so configured', async () => {
    for (const afterHalfOpenWait of ['open', 'closed'] as const) {
      const { breaker, clock } = make({
        errorThreshold: 1,
        recoveryTimeout: 1_000,
        halfOpenMaxWait: 3_000,
        afterHalfOpenWait,
      })
      await halfOpenNow(breaker, clock)
      const hung = await breaker.acquire()
      expect(hung.probe).toBe(true)
      await expect(breaker.acquire()).rejects.toSatisfy(isCircuitOpenError)
      clock.advance(3_000)
      expect(breaker.state).toBe(afterHalfOpenWait)
      // The hung probe's late answer belongs to an older generation: it changes nothing.
      hung.failure(new Error('late'))
      expect(breaker.state).toBe(afterHalfOpenWait)
      expect(breaker.activeCalls).toBe(0)
    }
  })

  it('defaults halfOpenMaxWait to the probe lease: twice the larger of timeout and recoveryTimeout', () => {
    expect(make({ recoveryTimeout: 1_000 }).breaker.settings.halfOpenMaxWait).toBe(2_000)
    expect(make({ recoveryTimeout: 1_000, timeout: 4_000 }).breaker.settings.halfOpenMaxWait).toBe(
      8_000,
    )
  })
})

describe('slow probes are failures (resilience4j)', () => {
  const options: CircuitBreakerOptions = {
    strategy: 'rate',
    windowSize: 2,
    minimumCalls: 2,
    slowCallMs: 100,
    slowCallRateThreshold: 1,
    recoveryTimeout: 1_000,
  }

  async function slowTrip(breaker: CircuitBreaker, clock: FakeClock) {
    for (let i = 0; i < 2; i++) {
      const permit = await breaker.acquire()
      clock.advance(150)
      permit.success()
    }
    expect(breaker.state).toBe('open')
    clock.advance(breaker.retryAfterMs)
  }

  it('reopens a circuit whose probe succeeds slower than slowCallMs', async () => {
    const { breaker, clock } = make(options)
    const opened = record(breaker, 'open')
    await slowTrip(breaker, clock)
    const probe = await breaker.acquire()
    clock.advance(101)
    probe.success()
    expect(breaker.state).toBe('open')
    expect(opened.map((o) => o.reason)).toEqual(['threshold', 'probe-failed'])
  })

  it('closes on a probe that is fast enough', async () => {
    const { breaker, clock } = make(options)
    await slowTrip(breaker, clock)
    const probe = await breaker.acquire()
    clock.advance(100)
    probe.success()
    expect(breaker.state).toBe('closed')
  })
})

describe('half-open sampling (resilience4j permittedNumberOfCallsInHalfOpenState)', () => {
  const options: CircuitBreakerOptions = {
    errorThreshold: 1,
    recoveryTimeout: 1_000,
    halfOpenMaxCalls: 4,
    halfOpenSampling: true,
    failureRateThreshold: 0.5,
  }

  async function probes(breaker: CircuitBreaker, n: number): Promise<Permit[]> {
    const out: Permit[] = []
    for (let i = 0; i < n; i++) out.push(await breaker.acquire())
    expect(out.every((p) => p.probe)).toBe(true)
    return out
  }

  it('lets halfOpenMaxCalls probes through and closes when their failure rate stays below the threshold', async () => {
    const { breaker, clock } = make(options)
    await halfOpenNow(breaker, clock)
    const [a, b, c, d] = await probes(breaker, 4)
    a!.failure(down)
    expect(breaker.state).toBe('half_open') // a first failure does not decide
    b!.success()
    c!.success()
    expect(breaker.state).toBe('half_open')
    d!.success()
    expect(breaker.state).toBe('closed')
  })

  it('reopens once the sample reaches the failure rate', async () => {
    const { breaker, clock } = make(options)
    const opened = record(breaker, 'open')
    await halfOpenNow(breaker, clock)
    const [a, b, c, d] = await probes(breaker, 4)
    a!.success()
    b!.failure(down)
    c!.success()
    d!.failure(down)
    expect(breaker.state).toBe('open')
    expect(opened.at(-1)).toMatchObject({ reason: 'probe-failed', error: down })
  })

  it('decides on the slow-call rate too', async () => {
    const { breaker, clock } = make({
      ...options,
      errorThreshold: undefined,
      strategy: 'rate',
      windowSize: 1,
      minimumCalls: 1,
      slowCallMs: 100,
      slowCallRateThreshold: 0.5,
    })
    await halfOpenNow(breaker, clock)
    const sample = await probes(breaker, 4)
    clock.advance(200)
    sample[0]!.success()
    sample[1]!.success()
    clock.advance(-150)
    sample[2]!.success()
    sample[3]!.success()
    expect(breaker.state).toBe('open')
  })

  it('counts the sample in the store: probes of two breakers sharing it decide together', async () => {
    const clock = new FakeClock(1_000)
    const store = new MemoryStore({ clock })
    const [a, b] = [0, 1].map(() => new CircuitBreaker({ name: 'svc', clock, store, ...options }))
    await a!.execute(boom).catch(() => undefined)
    clock.advance(1_000)
    const fromA = [await a!.acquire(), await a!.acquire()]
    const fromB = [await b!.acquire(), await b!.acquire()]
    expect([...fromA, ...fromB].every((p) => p.probe)).toBe(true)
    await expect(b!.acquire()).rejects.toSatisfy(isCircuitOpenError)
    fromA[0]!.failure(down)
    fromB[0]!.success()
    fromA[1]!.success()
    expect(b!.state).toBe('half_open')
    fromB[1]!.success()
    expect([a!.state, b!.state]).toEqual(['closed', 'closed'])
  })

  it('refuses recoveryThreshold with halfOpenSampling', () => {
    expect(() => make({ halfOpenSampling: true, recoveryThreshold: 2 })).toThrow(
      expect.objectContaining({ option: 'recoveryThreshold' }),
    )
  })
})

describe('shadow mode (resilience4j METRICS_ONLY)', () => {
  it('counts and reports every transition but never refuses a call', async () => {
    const { breaker, clock } = make({ errorThreshold: 2, recoveryTimeout: 1_000, mode: 'shadow' })
    const rejects = record(breaker, 'reject')
    const changes = record(breaker, 'stateChange')
    await breaker.execute(boom).catch(() => undefined)
    await breaker.execute(boom).catch(() => undefined)
    expect(breaker.state).toBe('open')
    let ran = 0
    for (let i = 0; i < 3; i++)
      await expect(breaker.execute(() => Promise.resolve(++ran))).resolves.toBe(i + 1)
    expect(rejects).toHaveLength(3)
    expect(rejects.every((r) => r.shadow === true && isCircuitOpenError(r.error))).toBe(true)
    breaker.forceOpen()
    await expect(breaker.execute(ok)).resolves.toBe('ok')
    breaker.reset()
    await breaker.execute(boom).catch(() => undefined)
    await breaker.execute(boom).catch(() => undefined)
    clock.advance(1_000)
    await breaker.execute(ok) // the probe decides, as in enforce mode
    expect(breaker.state).toBe('closed')
    expect(changes.map((c) => `${c.from}->${c.to}`)).toEqual([
      'closed->open',
      'open->forced_open',
      'forced_open->closed',
      'closed->open',
      'open->half_open',
      'half_open->closed',
    ])
    const snapshot = breaker.snapshot()
    expect(snapshot.mode).toBe('shadow')
    expect(snapshot.totals.notPermitted).toBe(4)
  })

  it('does not refuse past maxConcurrent either', async () => {
    const { breaker } = make({ maxConcurrent: 1, mode: 'shadow' })
    const first = await breaker.acquire()
    const second = await breaker.acquire()
    first.success()
    second.success()
    expect(breaker.snapshot().totals).toMatchObject({ busy: 1, successful: 2 })
  })
})

describe('the caller’s signal (cockatiel)', () => {
  it('rejects at once with the reason, without running fn or counting, when already aborted', async () => {
    const { breaker } = make()
    const reason = new Error('caller gave up')
    let ran = false
    await expect(
      breaker.execute(
        () => {
          ran = true
          return 1
        },
        { signal: AbortSignal.abort(reason) },
      ),
    ).rejects.toBe(reason)
    expect(ran).toBe(false)
    expect(breaker.snapshot().totals).toMatchObject({ calls: 0, ignored: 0 })
  })

  it('aborts fn’s signal when the caller aborts during the call, and ignores the outcome', async () => {
    for (const timeout of [undefined, 5_000]) {
      const { breaker } = make({ errorThreshold: 1, timeout })
      const controller = new AbortController()
      let inner: AbortSignal | undefined
      const call = breaker.execute(
        (signal) => {
          inner = signal
          return new Promise<never>(() => {})
        },
        { signal: controller.signal },
      )
      controller.abort('stop')
      await expect(call).rejects.toBe('stop')
      expect(inner?.aborted).toBe(true)
      expect(breaker.state).toBe('closed')
      expect(breaker.snapshot()).toMatchObject({ calls: 0, activeCalls: 0 })
      expect(breaker.snapshot().totals.ignored).toBe(1)
    }
  })

  it('keeps no listener on a long-lived caller signal, with or without a timeout', async () => {
    for (const timeout of [undefined, 5_000]) {
      const { breaker } = make({ timeout })
      const controller = new AbortController()
      for (let i = 0; i < 2_000; i++)
        await breaker.execute(i % 2 ? ok : boom, { signal: controller.signal }).catch(() => 0)
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
    }
  })

  it.each([null, 'x', { signal: 'x' }, { signal: undefined, other: 1 }])(
    'refuses options %j with InvalidOptionsError',
    async (options) => {
      const { breaker } = make()
      await expect(breaker.execute(ok, options as never)).rejects.toMatchObject({
        code: 'ERR_CIRCUIT_OPTIONS',
      })
      expect(breaker.snapshot().totals.calls).toBe(0)
    },
  )
})

describe('bulkhead (opossum capacity, cockatiel bulkhead)', () => {
  it('refuses calls beyond maxConcurrent at once with ERR_CIRCUIT_BUSY, not as failures', async () => {
    const { breaker } = make({ maxConcurrent: 2, errorThreshold: 1 })
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const running = [breaker.execute(() => gate), breaker.execute(() => gate)]
    const busy = await breaker.execute(ok).catch((error: unknown) => error)
    expect(isCircuitBusyError(busy)).toBe(true)
    expect(busy).toMatchObject({ code: 'ERR_CIRCUIT_BUSY', circuit: 'svc', maxConcurrent: 2 })
    expect(breaker.state).toBe('closed')
    release()
    await Promise.all(running)
    await expect(breaker.execute(ok)).resolves.toBe('ok')
    expect(breaker.snapshot().totals).toMatchObject({ busy: 1, failed: 0, successful: 3 })
  })

  it('lets the fallback answer a busy refusal', async () => {
    const { breaker } = make({ maxConcurrent: 1, fallback: (error) => `fallback: ${error}` })
    const held = await breaker.acquire()
    await expect(breaker.execute(ok)).resolves.toMatch(/fallback: CircuitBusyError/)
    held.success()
  })
})

describe('cumulative totals (opossum stats, resilience4j metrics)', () => {
  it('counts every kind of call and every transition since creation, across reset()', async () => {
    class Ignored extends Error {}
    const { breaker, clock } = make({
      errorThreshold: 2,
      recoveryTimeout: 1_000,
      timeout: 50,
      ignoreErrors: [Ignored],
      fallback: () => 'fallback',
    })
    await breaker.execute(ok)
    await breaker.execute(() => Promise.reject(new Ignored())).catch(() => undefined)
    await breaker.execute(boom) // failure, answered by the fallback
    const hung = breaker.execute(() => new Promise(() => {}))
    clock.advance(50) // timeout: a failure that trips
    await hung
    await breaker.execute(ok) // refused, fallback
    breaker.reset()
    await breaker.execute(ok)
    await flush()
    expect(breaker.snapshot().totals).toEqual({
      calls: 6,
      successful: 2,
      failed: 2,
      ignored: 1,
      notPermitted: 1,
      busy: 0,
      timeouts: 1,
      fallbacks: 3,
      slowCalls: 0,
      transitions: { 'closed->open': 1, 'open->closed': 1 },
    })
  })

  it('counts slow calls, and is JSON-safe', async () => {
    const { breaker, clock } = make({ strategy: 'rate', slowCallMs: 10 })
    const permit = await breaker.acquire()
    clock.advance(11)
    permit.success()
    const snapshot = breaker.snapshot()
    expect(snapshot.totals.slowCalls).toBe(1)
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot)
  })
})

describe('events that explain (pycircuitbreaker)', () => {
  it('tells why each opening happened, with the failure that decided it', async () => {
    const clock = new FakeClock(1_000)
    const store = new MemoryStore({ clock })
    const options = { name: 'svc', clock, store, errorThreshold: 1, recoveryTimeout: 1_000 }
    const breaker = new CircuitBreaker(options)
    const peer = new CircuitBreaker(options)
    const mine = record(breaker, 'open')
    const theirs = record(peer, 'open')
    await breaker.execute(boom).catch(() => undefined)
    clock.advance(1_000)
    const probeError = new Error('probe')
    await breaker.execute(() => Promise.reject(probeError)).catch(() => undefined)
    breaker.forceOpen()
    breaker.reset()
    ;(await breaker.acquire()).failure(new Error('429'), { retryAfterMs: 60_000 })
    expect(
      mine.map(({ reason, error, retryAfterMs }) => ({ reason, error, retryAfterMs })),
    ).toEqual([
      { reason: 'threshold', error: down, retryAfterMs: 1_000 },
      { reason: 'probe-failed', error: probeError, retryAfterMs: 1_000 },
      { reason: 'forced', error: undefined, retryAfterMs: 0 },
      { reason: 'retry-after', error: expect.any(Error), retryAfterMs: 60_000 },
    ])
    expect(theirs.map((o) => o.reason)).toEqual(['store', 'store', 'store', 'store'])
  })
})
