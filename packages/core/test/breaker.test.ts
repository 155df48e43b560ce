import {
  CircuitBreaker,
  type CircuitBreakerEvents,
  type CircuitBreakerOptions,
  CircuitOpenError,
  type CircuitState,
  CircuitTimeoutError,
  isCircuitOpenError,
  isCircuitTimeoutError,
  isInvalidOptionsError,
  isTripswitchError,
  type ListenerError,
  MemoryStore,
  type Permit,
  TripswitchError,
} from '@tripswitch/core'
import { describe, expect, it, vi } from 'vitest'
import { FakeClock } from '../src/testing/fake-clock.ts'

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function make(options: CircuitBreakerOptions = {}, start = 0) {
  const clock = new FakeClock(start)
  const breaker = new CircuitBreaker({ name: 'svc', clock, ...options })
  return { clock, breaker }
}

const ok = () => Promise.resolve('ok')
const boom = () => Promise.reject(new Error('boom'))

async function failOnce(breaker: CircuitBreaker): Promise<void> {
  await breaker.execute(boom).catch(() => undefined)
}

async function tripNow(breaker: CircuitBreaker): Promise<void> {
  for (let i = 0; i < 100 && breaker.state === 'closed'; i++) await failOnce(breaker)
  expect(breaker.state).toBe('open')
}

interface Deferred<T> {
  readonly promise: Promise<T>
  resolve(value: T): void
  reject(error: unknown): void
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/**
 * A breaker times its calls out on one timer, which may outlive the last call by up to its
 * `timeout` (unref'd: it never holds a process) and then goes without re-arming.
 */
function expectTimerGone(clock: FakeClock, timeout: number): void {
  expect(clock.pendingTimers).toBeLessThanOrEqual(1)
  clock.advance(timeout)
  expect(clock.pendingTimers).toBe(0)
}

/** Lets pending promise reactions run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve))

/** What `promise` settled with, without throwing. */
async function settled<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await promise }
  } catch (error) {
    return { error }
  }
}

/** Records every payload of `event`. */
function record<K extends keyof CircuitBreakerEvents>(breaker: CircuitBreaker, event: K) {
  const seen: Array<CircuitBreakerEvents[K]> = []
  const off = breaker.on(event, (payload) => seen.push(payload))
  return { seen, off }
}

/**
 * Plays a script against `breaker`: `S` a success, `F` a failure, `S150` / `F150` a call lasting
 * 150 ms of the fake clock, `+600` advances the clock by 600 ms.
 */
async function play(breaker: CircuitBreaker, clock: FakeClock, script: string): Promise<void> {
  for (const token of script.split(' ').filter(Boolean)) {
    if (token.startsWith('+')) {
      clock.advance(Number(token.slice(1)))
      continue
    }
    const failed = token[0] === 'F'
    const ms = Number(token.slice(1) || 0)
    await breaker
      .execute(() => {
        clock.advance(ms)
        return failed ? Promise.reject(new Error('boom')) : Promise.resolve('ok')
      })
      .catch(() => undefined)
  }
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

interface StrategyCase {
  readonly title: string
  readonly options: CircuitBreakerOptions
  readonly script: string
  readonly state: 'closed' | 'open'
}

const consecutive: CircuitBreakerOptions = { strategy: 'consecutive', errorThreshold: 3 }
const net: CircuitBreakerOptions = { strategy: 'net', errorThreshold: 3 }
const window: CircuitBreakerOptions = { strategy: 'window', errorThreshold: 3, windowMs: 1_000 }
const rateCount: CircuitBreakerOptions = {
  strategy: 'rate',
  windowSize: 4,
  minimumCalls: 4,
  failureRateThreshold: 0.5,
}
const rateSliding: CircuitBreakerOptions = {
  strategy: 'rate',
  windowSize: 4,
  minimumCalls: 2,
  failureRateThreshold: 0.75,
}
const rateTime: CircuitBreakerOptions = {
  strategy: 'rate',
  windowMs: 1_000,
  minimumCalls: 2,
  failureRateThreshold: 0.5,
}
const slow: CircuitBreakerOptions = {
  strategy: 'rate',
  windowSize: 4,
  minimumCalls: 4,
  failureRateThreshold: 1,
  slowCallMs: 100,
  slowCallRateThreshold: 0.5,
}

const STRATEGY_CASES: readonly StrategyCase[] = [
  // consecutive: errorThreshold failures in a row; a success resets the count.
  { title: 'consecutive', options: consecutive, script: 'F F', state: 'closed' },
  { title: 'consecutive', options: consecutive, script: 'F F F', state: 'open' },
  { title: 'consecutive', options: consecutive, script: 'F F S F F', state: 'closed' },
  { title: 'consecutive', options: consecutive, script: 'F F S F F F', state: 'open' },
  { title: 'consecutive', options: consecutive, script: 'F +99999 F +99999 F', state: 'open' },
  // net: failures minus successes, never below 0.
  { title: 'net', options: net, script: 'F F S F', state: 'closed' },
  { title: 'net', options: net, script: 'F F S F F', state: 'open' },
  { title: 'net', options: net, script: 'F S F S F S F F', state: 'closed' },
  { title: 'net', options: net, script: 'F S F S F S F F F', state: 'open' },
  { title: 'net (floor 0)', options: net, script: 'S S S S S F F', state: 'closed' },
  { title: 'net (floor 0)', options: net, script: 'S S S S S F F F', state: 'open' },
  // window: errorThreshold failures within windowMs; older failures expire.
  { title: 'window', options: window, script: 'F F S S S S', state: 'closed' },
  { title: 'window', options: window, script: 'F F S S S S F', state: 'open' },
  { title: 'window (expiry)', options: window, script: 'F +600 F +600 F', state: 'closed' },
  { title: 'window (expiry)', options: window, script: 'F +600 F +600 F F', state: 'open' },
  { title: 'window (expiry)', options: window, script: 'F F +1100 F F', state: 'closed' },
  { title: 'window (within)', options: window, script: 'F +400 F +400 F', state: 'open' },
  // rate over the last windowSize calls, once minimumCalls are in.
  { title: 'rate/count', options: rateCount, script: 'S S F', state: 'closed' },
  { title: 'rate/count', options: rateCount, script: 'S S F F', state: 'open' },
  { title: 'rate/count (minimum)', options: rateCount, script: 'F F F', state: 'closed' },
  { title: 'rate/count (minimum)', options: rateCount, script: 'F F F S', state: 'open' },
  { title: 'rate/count (below)', options: rateCount, script: 'S S S F S S S F', state: 'closed' },
  { title: 'rate/count (slides)', options: rateSliding, script: 'S S S F F', state: 'closed' },
  { title: 'rate/count (slides)', options: rateSliding, script: 'S S S F F F', state: 'open' },
  { title: 'rate/count (minimum 2)', options: rateSliding, script: 'F', state: 'closed' },
  // rate over the last windowMs.
  { title: 'rate/time', options: rateTime, script: 'S S F', state: 'closed' },
  { title: 'rate/time', options: rateTime, script: 'S S F F', state: 'open' },
  { title: 'rate/time (expiry)', options: rateTime, script: 'S S S S S S F F', state: 'closed' },
  {
    title: 'rate/time (expiry)',
    options: rateTime,
    script: 'S S S S S S +1500 F F',
    state: 'open',
  },
  { title: 'rate/time (minimum)', options: rateTime, script: 'S +1500 F', state: 'closed' },
  // slow calls: slower than slowCallMs, tripping at slowCallRateThreshold.
  { title: 'slow', options: slow, script: 'S150 S S', state: 'closed' },
  { title: 'slow', options: slow, script: 'S150 S S S101', state: 'open' },
  { title: 'slow (from time 0)', options: slow, script: 'S150 S150 S S', state: 'open' },
  {
    title: 'slow (== slowCallMs is not slow)',
    options: slow,
    script: 'S100 S100 S S',
    state: 'closed',
  },
  { title: 'slow failures count as slow', options: slow, script: 'S S F150 F150', state: 'open' },
]

describe('strategies', () => {
  it.each(STRATEGY_CASES)('$title: "$script" -> $state', async ({ options, script, state }) => {
    const { breaker, clock } = make(options)
    await play(breaker, clock, script)
    expect(breaker.state).toBe(state)
    if (state === 'open') await expect(breaker.execute(ok)).rejects.toBeInstanceOf(CircuitOpenError)
    else await expect(breaker.execute(ok)).resolves.toBe('ok')
  })

  it('reports slow calls in the snapshot', async () => {
    const { breaker, clock } = make({ ...slow, slowCallRateThreshold: 1 }, 500)
    await play(breaker, clock, 'S150 S S S250')
    expect(breaker.snapshot()).toMatchObject({ calls: 4, slowCalls: 2, slowCallRate: 0.5 })
    expect(breaker.state).toBe('closed')
  })

  it('reports window totals in the snapshot', async () => {
    const { breaker, clock } = make(rateTime)
    await play(breaker, clock, 'S S S F')
    expect(breaker.state).toBe('closed')
    expect(breaker.snapshot()).toMatchObject({
      calls: 4,
      failures: 1,
      successes: 3,
      consecutiveFailures: 1,
      failureRate: 0.25,
    })
    clock.advance(1_500)
    expect(breaker.snapshot()).toMatchObject({ calls: 0, failures: 0, failureRate: 0 })
  })

  it('starts counting afresh after it closed again', async () => {
    const { breaker, clock } = make({ ...consecutive, recoveryTimeout: 1_000 })
    await play(breaker, clock, 'F F F +1000 S')
    expect(breaker.state).toBe('closed')
    expect(breaker.snapshot()).toMatchObject({ calls: 0, failures: 0, consecutiveFailures: 0 })
    await play(breaker, clock, 'F F')
    expect(breaker.state).toBe('closed')
  })

  it('schedules no timer of its own', async () => {
    const { breaker, clock } = make({ errorThreshold: 1, recoveryTimeout: 1_000 })
    await play(breaker, clock, 'F +1000 S F')
    expect(clock.pendingTimers).toBe(0)
  })
})

// ---------------------------------------------------------------------------------------------
// Open, retryAfterMs, half-open
// ---------------------------------------------------------------------------------------------

describe('open', () => {
  it('counts retryAfterMs down with the clock and reads half_open once the deadline passes', async () => {
    const { breaker, clock } = make({ errorThreshold: 1, recoveryTimeout: 10_000 }, 5_000)
    await failOnce(breaker)
    expect(breaker.retryAfterMs).toBe(10_000)
    expect(breaker.snapshot()).toMatchObject({
      state: 'open',
      openedAt: 5_000,
      retryAfterMs: 10_000,
    })
    clock.advance(2_500)
    expect(breaker.retryAfterMs).toBe(7_500)
    const rejection = await settled(breaker.execute(ok))
    expect(rejection.error).toMatchObject({ code: 'ERR_CIRCUIT_OPEN', retryAfterMs: 7_500 })
    clock.advance(7_499)
    expect(breaker.retryAfterMs).toBe(1)
    await expect(breaker.acquire()).rejects.toMatchObject({ retryAfterMs: 1 })
    const halfOpen = vi.fn()
    breaker.on('halfOpen', halfOpen)
    clock.advance(1)
    // No timer moved it, and no call: reading the state does.
    expect(halfOpen).not.toHaveBeenCalled()
    expect(breaker.retryAfterMs).toBe(0)
    expect(halfOpen).toHaveBeenCalledTimes(1)
    expect(breaker.state).toBe('half_open')
    expect(breaker.snapshot()).toMatchObject({
      state: 'half_open',
      retryAfterMs: 0,
      openedAt: null,
    })
    const probe = await breaker.acquire()
    expect(probe.probe).toBe(true)
    expect(breaker.state).toBe('half_open')
    expect(breaker.retryAfterMs).toBe(0)
  })

  it('does not run the function of a rejected call', async () => {
    const { breaker } = make({ errorThreshold: 1 })
    await failOnce(breaker)
    let calls = 0
    await expect(
      breaker.execute(() => {
        calls++
        return 'ran'
      }),
    ).rejects.toBeInstanceOf(CircuitOpenError)
    expect(calls).toBe(0)
  })
})

describe('half-open', () => {
  async function halfOpen(options: CircuitBreakerOptions) {
    const made = make({ errorThreshold: 1, recoveryTimeout: 1_000, ...options })
    await failOnce(made.breaker)
    made.clock.advance(1_000)
    return made
  }

  it.each([1, 2, 3, 5])('admits exactly halfOpenMaxCalls = %i concurrent probes', async (max) => {
    const { breaker } = await halfOpen({ halfOpenMaxCalls: max })
    const gate = deferred<string>()
    let started = 0
    const calls = Array.from({ length: max + 3 }, () =>
      settled(
        breaker.execute(() => {
          started++
          return gate.promise
        }),
      ),
    )
    await flush()
    expect(started).toBe(max)
    expect(breaker.state).toBe('half_open')
    gate.resolve('done')
    const results = await Promise.all(calls)
    const rejected = results.filter((r) => r.error !== undefined)
    expect(results.filter((r) => r.value === 'done')).toHaveLength(max)
    expect(rejected).toHaveLength(3)
    for (const { error } of rejected) {
      expect(error).toBeInstanceOf(CircuitOpenError)
      expect(error).toMatchObject({ state: 'half_open', retryAfterMs: 0, circuit: 'svc' })
    }
  })

  it('marks probe permits as probes', async () => {
    const { breaker } = make({ errorThreshold: 1, recoveryTimeout: 1_000 })
    expect((await breaker.acquire()).probe).toBe(false)
  })

  it.each([1, 2, 3])('closes after recoveryThreshold = %i probe successes', async (threshold) => {
    const { breaker } = await halfOpen({ recoveryThreshold: threshold })
    for (let i = 1; i < threshold; i++) {
      await expect(breaker.execute(ok)).resolves.toBe('ok')
      expect(breaker.state).toBe('half_open')
    }
    await breaker.execute(ok)
    expect(breaker.state).toBe('closed')
  })

  it('counts concurrent probe successes towards recoveryThreshold', async () => {
    const { breaker } = await halfOpen({ recoveryThreshold: 3, halfOpenMaxCalls: 3 })
    const permits = [await breaker.acquire(), await breaker.acquire(), await breaker.acquire()]
    permits[0]?.success()
    permits[1]?.success()
    expect(breaker.state).toBe('half_open')
    permits[2]?.success()
    expect(breaker.state).toBe('closed')
  })

  it.each([0, 1, 2])('reopens on a probe failure after %i probe successes', async (successes) => {
    const { breaker, clock } = await halfOpen({ recoveryThreshold: 3 })
    for (let i = 0; i < successes; i++) await breaker.execute(ok)
    await failOnce(breaker)
    expect(breaker.state).toBe('open')
    expect(breaker.retryAfterMs).toBe(1_000)
    // The successes before the failure are forgotten.
    clock.advance(1_000)
    await breaker.execute(ok)
    await breaker.execute(ok)
    expect(breaker.state).toBe('half_open')
    await breaker.execute(ok)
    expect(breaker.state).toBe('closed')
  })

  it('reopens on a detected failure of a probe', async () => {
    const { breaker } = await halfOpen({ detectError: (r) => r === 'bad' })
    await expect(breaker.execute(() => 'bad')).resolves.toBe('bad')
    expect(breaker.state).toBe('open')
  })

  class Aborted extends Error {}

  const freeings: Array<
    [string, CircuitBreakerOptions, (breaker: CircuitBreaker) => Promise<void>]
  > = [
    ['ignore()', {}, async (b) => (await b.acquire()).ignore()],
    [
      'an error in ignoreErrors',
      { ignoreErrors: [Aborted] },
      (b) => expect(b.execute(() => Promise.reject(new Aborted()))).rejects.toBeInstanceOf(Aborted),
    ],
  ]

  it.each(freeings)('frees the probe slot of a probe ended by %s', async (_, options, end) => {
    const { breaker } = await halfOpen({ ...options, recoveryThreshold: 1 })
    await end(breaker)
    expect(breaker.state).toBe('half_open')
    expect(breaker.activeCalls).toBe(0)
    const next = await breaker.acquire()
    expect(next.probe).toBe(true)
    next.success()
    expect(breaker.state).toBe('closed')
  })

  it('keeps rejecting while the only probe is in flight', async () => {
    const { breaker } = await halfOpen({})
    const probe = await breaker.acquire()
    await expect(breaker.acquire()).rejects.toMatchObject({ state: 'half_open' })
    await expect(breaker.acquire()).rejects.toMatchObject({ state: 'half_open' })
    probe.success()
    expect(breaker.state).toBe('closed')
    await expect(breaker.acquire()).resolves.toMatchObject({ probe: false })
  })
})

// ---------------------------------------------------------------------------------------------
// Backoff
// ---------------------------------------------------------------------------------------------

/** Trips, then fails `count - 1` probes; answers the open duration after each opening. */
async function openDurations(options: CircuitBreakerOptions, count: number): Promise<number[]> {
  const { breaker, clock } = make({ errorThreshold: 1, recoveryTimeout: 1_000, ...options })
  const durations: number[] = []
  for (let i = 0; i < count; i++) {
    await failOnce(breaker)
    expect(breaker.state).toBe('open')
    durations.push(breaker.retryAfterMs)
    clock.advance(breaker.retryAfterMs)
  }
  return durations
}

describe('backoff', () => {
  it.each([
    [undefined, [1_000, 1_000, 1_000, 1_000]],
    [{ jitter: 0 }, [1_000, 2_000, 4_000, 8_000, 16_000]],
    [{ multiplier: 2, maxRecoveryTimeout: 5_000, jitter: 0 }, [1_000, 2_000, 4_000, 5_000, 5_000]],
    [{ multiplier: 3, maxRecoveryTimeout: 20_000, jitter: 0 }, [1_000, 3_000, 9_000, 20_000]],
    [{ multiplier: 1.5, jitter: 0 }, [1_000, 1_500, 2_250, 3_375]],
    [{ multiplier: 1, jitter: 0 }, [1_000, 1_000, 1_000]],
    [{ maxRecoveryTimeout: 1_000, jitter: 0 }, [1_000, 1_000, 1_000]],
  ])('with %j opens for %j', async (backoff, expected) => {
    await expect(openDurations({ backoff }, expected.length)).resolves.toEqual(expected)
  })

  const JITTERED: ReadonlyArray<{ multiplier: number; jitter: number; max: number }> = [
    { multiplier: 1, jitter: 0.2, max: 300_000 },
    { multiplier: 2, jitter: 0.5, max: 64_000 },
    { multiplier: 2, jitter: 0.1, max: 3_000 },
    { multiplier: 1, jitter: 1, max: 300_000 },
  ]

  it.each(JITTERED)(
    'spreads each opening within ±$jitter, never past the cap (x$multiplier, max $max)',
    async ({ multiplier, jitter, max }) => {
      const backoff = { multiplier, jitter, maxRecoveryTimeout: max }
      const durations = await openDurations({ backoff }, 30)
      const base = (k: number) => Math.min(1_000 * multiplier ** k, max)
      durations.forEach((d, k) => {
        expect(d).toBeGreaterThanOrEqual(Math.max(1, Math.floor(base(k) * (1 - jitter))))
        expect(d).toBeLessThanOrEqual(Math.min(max, Math.ceil(base(k) * (1 + jitter))))
      })
      // Random spread, not a constant offset.
      const ratios = new Set(durations.map((d, k) => Math.round((d / base(k)) * 1000)))
      expect(ratios.size).toBeGreaterThan(1)
    },
  )

  it('starts from recoveryTimeout again after closing', async () => {
    const { breaker, clock } = make({
      errorThreshold: 1,
      recoveryTimeout: 1_000,
      backoff: { jitter: 0 },
    })
    await failOnce(breaker)
    clock.advance(1_000)
    await failOnce(breaker)
    expect(breaker.retryAfterMs).toBe(2_000)
    clock.advance(2_000)
    await breaker.execute(ok)
    expect(breaker.state).toBe('closed')
    await failOnce(breaker)
    expect(breaker.retryAfterMs).toBe(1_000)
  })

  it('starts from recoveryTimeout again after reset()', async () => {
    const { breaker, clock } = make({
      errorThreshold: 1,
      recoveryTimeout: 1_000,
      backoff: { jitter: 0 },
    })
    await failOnce(breaker)
    clock.advance(1_000)
    await failOnce(breaker)
    expect(breaker.retryAfterMs).toBe(2_000)
    breaker.reset()
    await failOnce(breaker)
    expect(breaker.retryAfterMs).toBe(1_000)
  })

  it('reports the backed-off wait in the open event', async () => {
    const { breaker, clock } = make({
      errorThreshold: 1,
      recoveryTimeout: 1_000,
      backoff: { jitter: 0 },
    })
    const opened = record(breaker, 'open')
    await failOnce(breaker)
    clock.advance(1_000)
    await failOnce(breaker)
    expect(opened.seen).toMatchObject([
      { name: 'svc', retryAfterMs: 1_000, reason: 'threshold' },
      { name: 'svc', retryAfterMs: 2_000, reason: 'probe-failed' },
    ])
  })
})

// ---------------------------------------------------------------------------------------------
// Timeout
// ---------------------------------------------------------------------------------------------

describe('timeout', () => {
  function slowCall() {
    const gate = deferred<string>()
    let signal: AbortSignal | undefined
    const fn = (s: AbortSignal) => {
      signal = s
      return gate.promise
    }
    return { gate, fn, signal: () => signal }
  }

  it('fails a slow call with CircuitTimeoutError and aborts its signal', async () => {
    const { breaker, clock } = make({ timeout: 100, errorThreshold: 5 })
    const call = slowCall()
    const result = settled(breaker.execute(call.fn))
    expect(clock.pendingTimers).toBe(1)
    clock.advance(99)
    expect(call.signal()?.aborted).toBe(false)
    clock.advance(1)
    const { error } = await result
    expect(error).toBeInstanceOf(CircuitTimeoutError)
    expect(error).toMatchObject({
      code: 'ERR_CIRCUIT_TIMEOUT',
      name: 'CircuitTimeoutError',
      circuit: 'svc',
      timeout: 100,
    })
    expect(call.signal()?.aborted).toBe(true)
    expect(call.signal()?.reason).toBe(error)
    expect(breaker.snapshot()).toMatchObject({ calls: 1, failures: 1, successes: 0 })
    expect(clock.pendingTimers).toBe(0)
    expect(breaker.activeCalls).toBe(0)
  })

  it.each([
    ['resolves', (g: Deferred<string>) => g.resolve('late')],
    ['rejects', (g: Deferred<string>) => g.reject(new Error('late'))],
  ])('drops the outcome of a call that %s after its timeout', async (_, finish) => {
    const { breaker, clock } = make({ timeout: 100, errorThreshold: 5 })
    const successes = record(breaker, 'success')
    const failures = record(breaker, 'failure')
    const call = slowCall()
    const result = settled(breaker.execute(call.fn))
    clock.advance(100)
    expect((await result).error).toBeInstanceOf(CircuitTimeoutError)
    finish(call.gate)
    await flush()
    expect(breaker.snapshot()).toMatchObject({ calls: 1, failures: 1, successes: 0 })
    expect(successes.seen).toHaveLength(0)
    expect(failures.seen).toHaveLength(1)
    expect(breaker.activeCalls).toBe(0)
  })

  it.each([
    ['resolves', (g: Deferred<string>) => g.resolve('fast'), { value: 'fast' }, 'successes'],
    ['rejects', (g: Deferred<string>) => g.reject(new Error('fast')), undefined, 'failures'],
  ] as const)(
    'clears the timer of a call that %s in time',
    async (_, finish, expected, counted) => {
      const { breaker, clock } = make({ timeout: 100 })
      const call = slowCall()
      const result = settled(breaker.execute(call.fn))
      clock.advance(50)
      finish(call.gate)
      const outcome = await result
      if (expected) expect(outcome).toEqual(expected)
      else expect(outcome.error).toMatchObject({ message: 'fast' })
      expectTimerGone(clock, 100)
      expect(call.signal()?.aborted).toBe(false)
      expect(breaker.snapshot()[counted]).toBe(1)
      clock.advance(1_000)
      expect(breaker.snapshot()).toMatchObject({ calls: 1 })
    },
  )

  it('clears the timer of a function that throws synchronously', async () => {
    const { breaker, clock } = make({ timeout: 100 })
    await expect(
      breaker.execute(() => {
        throw new Error('sync')
      }),
    ).rejects.toThrow('sync')
    expectTimerGone(clock, 100)
    expect(breaker.snapshot().failures).toBe(1)
  })

  it('gives each call its own signal', async () => {
    const { breaker, clock } = make({ timeout: 100, errorThreshold: 10 })
    const first = slowCall()
    const second = slowCall()
    const a = settled(breaker.execute(first.fn))
    clock.advance(50)
    const b = settled(breaker.execute(second.fn))
    clock.advance(50)
    expect(first.signal()?.aborted).toBe(true)
    expect(second.signal()?.aborted).toBe(false)
    second.gate.resolve('ok')
    expect((await a).error).toBeInstanceOf(CircuitTimeoutError)
    expect(await b).toEqual({ value: 'ok' })
    expectTimerGone(clock, 100)
  })

  it('counts timeouts as failures that trip the circuit', async () => {
    const { breaker, clock } = make({ timeout: 100, errorThreshold: 2 })
    for (let i = 0; i < 2; i++) {
      const result = settled(breaker.execute(slowCall().fn))
      clock.advance(100)
      await result
    }
    expect(breaker.state).toBe('open')
  })

  it('reopens when a probe times out', async () => {
    const { breaker, clock } = make({ timeout: 100, errorThreshold: 1, recoveryTimeout: 1_000 })
    await failOnce(breaker)
    clock.advance(1_000)
    const result = settled(breaker.execute(slowCall().fn))
    expect(breaker.state).toBe('half_open')
    clock.advance(100)
    expect((await result).error).toBeInstanceOf(CircuitTimeoutError)
    expect(breaker.state).toBe('open')
  })

  it('passes a signal that never aborts when there is no timeout', async () => {
    const { breaker, clock } = make()
    let signal: AbortSignal | undefined
    await breaker.execute((s) => {
      signal = s
      return 'ok'
    })
    clock.advance(1e9)
    expect(signal).toBeInstanceOf(AbortSignal)
    expect(signal?.aborted).toBe(false)
    expect(clock.pendingTimers).toBe(0)
  })
})

// ---------------------------------------------------------------------------------------------
// Classification
// ---------------------------------------------------------------------------------------------

class ValidationError extends Error {}
class StrictValidationError extends ValidationError {}
class NetworkError extends Error {}
class SocketError extends NetworkError {}

type Verdict = 'failure' | 'ignore' | 'success'

const CLASSIFICATION: ReadonlyArray<{
  title: string
  options: CircuitBreakerOptions
  error: unknown
  verdict: Verdict
}> = [
  { title: 'default, Error', options: {}, error: new Error('x'), verdict: 'failure' },
  { title: 'default, a thrown string', options: {}, error: 'x', verdict: 'failure' },
  { title: 'default, undefined', options: {}, error: undefined, verdict: 'failure' },
  ...[
    [new ValidationError(), 'ignore'],
    [new StrictValidationError(), 'ignore'],
    [new NetworkError(), 'failure'],
    [new Error(), 'failure'],
    ['x', 'failure'],
  ].map(([error, verdict]) => ({
    title: `ignoreErrors [ValidationError], ${(error as Error).constructor.name}`,
    options: { ignoreErrors: [ValidationError] },
    error,
    verdict: verdict as Verdict,
  })),
  ...[
    [new NetworkError(), 'failure'],
    [new SocketError(), 'failure'],
    [new ValidationError(), 'success'],
    [new Error(), 'success'],
    ['x', 'success'],
  ].map(([error, verdict]) => ({
    title: `recordErrors [NetworkError], ${(error as Error).constructor.name}`,
    options: { recordErrors: [NetworkError] },
    error,
    verdict: verdict as Verdict,
  })),
  {
    title: 'isFailure false',
    options: { isFailure: (e) => !(e instanceof ValidationError) },
    error: new ValidationError(),
    verdict: 'success',
  },
  {
    title: 'isFailure true',
    options: { isFailure: (e) => !(e instanceof ValidationError) },
    error: new NetworkError(),
    verdict: 'failure',
  },
  {
    title: 'ignoreErrors wins over recordErrors',
    options: { ignoreErrors: [StrictValidationError], recordErrors: [Error] },
    error: new StrictValidationError(),
    verdict: 'ignore',
  },
  {
    title: 'recordErrors and isFailure both apply',
    options: { recordErrors: [NetworkError], isFailure: () => false },
    error: new SocketError(),
    verdict: 'success',
  },
]

describe('classification', () => {
  const withFallback = [false, true]

  it.each(CLASSIFICATION.flatMap((c) => withFallback.map((fallback) => ({ ...c, fallback }))))(
    '$title -> $verdict (fallback: $fallback)',
    async ({ options, error, verdict, fallback }) => {
      const fallbacks: unknown[] = []
      const { breaker } = make({
        ...options,
        errorThreshold: 1,
        ...(fallback ? { fallback: (e: unknown) => fallbacks.push(e) && 'fallback' } : {}),
      })
      const successes = record(breaker, 'success')
      const failures = record(breaker, 'failure')
      const result = await settled(breaker.execute(() => Promise.reject(error)))
      if (verdict === 'success') {
        // The downstream answered: a success (resilience4j, opossum, pybreaker); the error
        // still reaches the caller, never the fallback.
        expect(result.error).toBe(error)
        expect(breaker.snapshot()).toMatchObject({ calls: 1, failures: 0, successes: 1 })
        expect(successes.seen).toHaveLength(1)
        expect(failures.seen).toHaveLength(0)
        expect(fallbacks).toHaveLength(0)
        expect(breaker.state).toBe('closed')
      } else if (verdict === 'ignore') {
        // Neither a success nor a failure, and it still reaches the caller (no fallback).
        expect(result).toEqual({ error })
        expect(result.error).toBe(error)
        expect(breaker.snapshot()).toMatchObject({
          calls: 0,
          failures: 0,
          successes: 0,
          consecutiveFailures: 0,
        })
        expect(failures.seen).toHaveLength(0)
        expect(fallbacks).toHaveLength(0)
        expect(breaker.state).toBe('closed')
      } else {
        expect(breaker.snapshot()).toMatchObject({ calls: 1, failures: 1 })
        expect(failures.seen).toEqual([{ name: 'svc', error, durationMs: 0 }])
        expect(breaker.state).toBe('open')
        if (fallback) {
          expect(result).toEqual({ value: 'fallback' })
          expect(fallbacks).toEqual([error])
        } else {
          expect(result.error).toBe(error)
        }
      }
      if (verdict !== 'success') expect(successes.seen).toHaveLength(0)
      expect(breaker.activeCalls).toBe(0)
    },
  )

  it('resets a consecutive count, lowers a rate, and closes a half-open circuit with an error that does not count', async () => {
    const isFailure = (e: unknown) => !(e instanceof ValidationError)
    const notCounted = () => Promise.reject(new ValidationError())
    const consecutive = make({ errorThreshold: 2, isFailure }).breaker
    await failOnce(consecutive)
    await consecutive.execute(notCounted).catch(() => undefined)
    await failOnce(consecutive)
    expect(consecutive.state).toBe('closed')
    const mixed = make({
      strategy: 'rate',
      windowSize: 4,
      minimumCalls: 4,
      failureRateThreshold: 0.75,
      recordErrors: [NetworkError],
    })
    for (const error of [
      new NetworkError(),
      new NetworkError(),
      new ValidationError(),
      new ValidationError(),
    ])
      await mixed.breaker.execute(() => Promise.reject(error)).catch(() => undefined)
    expect(mixed.breaker.snapshot()).toMatchObject({ calls: 4, failures: 2, failureRate: 0.5 })
    expect(mixed.breaker.state).toBe('closed')
    const { breaker, clock } = make({ errorThreshold: 1, recoveryTimeout: 1_000, isFailure })
    await failOnce(breaker)
    clock.advance(1_000)
    await breaker.execute(notCounted).catch(() => undefined)
    expect(breaker.state).toBe('closed')
  })

  it('passes the call’s arguments to isFailure (opossum errorFilter)', async () => {
    const seen: unknown[][] = []
    const { breaker } = make({
      errorThreshold: 1,
      isFailure: (_error, ...args) => {
        seen.push(args)
        return args[0] !== 'lenient'
      },
    })
    const call = breaker.wrap((_mode: string, _n: number) => Promise.reject(new Error('x')))
    await call('lenient', 1).catch(() => undefined)
    expect(breaker.state).toBe('closed')
    await call('strict', 2).catch(() => undefined)
    expect(seen).toEqual([
      ['lenient', 1],
      ['strict', 2],
    ])
    expect(breaker.state).toBe('open')
  })

  it('classifies a synchronous throw like a rejection', async () => {
    const { breaker } = make({ ignoreErrors: [ValidationError] })
    await expect(
      breaker.execute(() => {
        throw new ValidationError('sync')
      }),
    ).rejects.toBeInstanceOf(ValidationError)
    expect(breaker.snapshot().calls).toBe(0)
  })

  it('does not break a failure streak with an ignored error', async () => {
    const { breaker } = make({ errorThreshold: 2, ignoreErrors: [ValidationError] })
    await failOnce(breaker)
    await breaker.execute(() => Promise.reject(new ValidationError())).catch(() => undefined)
    expect(breaker.snapshot().consecutiveFailures).toBe(1)
    await failOnce(breaker)
    expect(breaker.state).toBe('open')
  })

  it('ignores nothing of a permit settled with ignore()', async () => {
    const { breaker } = make({ errorThreshold: 1 })
    const permit = await breaker.acquire()
    expect(breaker.activeCalls).toBe(1)
    permit.ignore()
    expect(breaker.activeCalls).toBe(0)
    expect(breaker.snapshot()).toMatchObject({ calls: 0, failures: 0, successes: 0 })
  })
})

describe('detectError', () => {
  const detectError = (r: unknown) => (r as { status: number }).status >= 500

  it('counts a detected result as a failure and still returns it', async () => {
    const fallbacks: unknown[] = []
    const { breaker } = make({
      detectError,
      errorThreshold: 2,
      fallback: (e) => fallbacks.push(e),
    })
    const failures = record(breaker, 'failure')
    const answer = { status: 503 }
    await expect(breaker.execute(() => answer)).resolves.toBe(answer)
    expect(breaker.snapshot()).toMatchObject({ calls: 1, failures: 1, successes: 0 })
    expect(failures.seen).toEqual([{ name: 'svc', error: undefined, durationMs: 0 }])
    await expect(breaker.execute(() => Promise.resolve(answer))).resolves.toBe(answer)
    expect(breaker.state).toBe('open')
    expect(fallbacks).toEqual([])
  })

  it('counts other results as successes', async () => {
    const { breaker } = make({ detectError })
    await expect(breaker.execute(() => ({ status: 200 }))).resolves.toEqual({ status: 200 })
    expect(breaker.snapshot()).toMatchObject({ calls: 1, successes: 1, failures: 0 })
  })

  it('applies to a call that resolves within its timeout', async () => {
    const { breaker } = make({ detectError, timeout: 100 })
    await expect(breaker.execute(() => Promise.resolve({ status: 500 }))).resolves.toEqual({
      status: 500,
    })
    expect(breaker.snapshot().failures).toBe(1)
  })
})

// ---------------------------------------------------------------------------------------------
// Fallback and wrap
// ---------------------------------------------------------------------------------------------

describe('fallback and wrap', () => {
  it('wrap() keeps the arguments and the result', async () => {
    const { breaker } = make()
    const add = breaker.wrap((a: number, b: number) => a + b)
    await expect(add(2, 3)).resolves.toBe(5)
    expect(breaker.snapshot().successes).toBe(1)
  })

  it('answers a rejection with fallback(error, ...args)', async () => {
    const calls: unknown[][] = []
    const { breaker } = make({
      errorThreshold: 5,
      fallback: (...args) => {
        calls.push(args)
        return 'cached'
      },
    })
    const error = new Error('down')
    const get = breaker.wrap((_id: number, _opts: { deep: boolean }) => Promise.reject(error))
    await expect(get(7, { deep: true })).resolves.toBe('cached')
    expect(calls).toEqual([[error, 7, { deep: true }]])
  })

  it('answers a refused call with fallback(CircuitOpenError, ...args) without running it', async () => {
    const calls: unknown[][] = []
    let ran = 0
    const { breaker } = make({
      errorThreshold: 1,
      fallback: (...args) => {
        calls.push(args)
        return 'cached'
      },
    })
    const get = breaker.wrap((id: string) => {
      ran++
      return Promise.reject(new Error(id))
    })
    await expect(get('a')).resolves.toBe('cached')
    expect(breaker.state).toBe('open')
    await expect(get('b')).resolves.toBe('cached')
    expect(ran).toBe(1)
    expect(calls[1]?.[0]).toBeInstanceOf(CircuitOpenError)
    expect(calls[1]?.slice(1)).toEqual(['b'])
  })

  it('answers a timeout with fallback(CircuitTimeoutError, ...args)', async () => {
    const calls: unknown[][] = []
    const { breaker, clock } = make({
      timeout: 100,
      fallback: (...args) => {
        calls.push(args)
        return 'late'
      },
    })
    const get = breaker.wrap((_id: number) => new Promise<string>(() => undefined))
    const result = get(42)
    clock.advance(100)
    await expect(result).resolves.toBe('late')
    expect(calls[0]?.[0]).toBeInstanceOf(CircuitTimeoutError)
    expect(calls[0]?.slice(1)).toEqual([42])
  })

  it('passes only the error to the fallback of execute()', async () => {
    const calls: unknown[][] = []
    const { breaker } = make({ fallback: (...args) => calls.push(args) })
    const error = new Error('x')
    await breaker.execute(() => Promise.reject(error))
    expect(calls).toEqual([[error]])
  })

  it.each([
    ['a value', () => 'v', { value: 'v' }],
    ['a promise', () => Promise.resolve('p'), { value: 'p' }],
  ])('awaits a fallback that returns %s', async (_, fallback, expected) => {
    const { breaker } = make({ fallback })
    await expect(settled(breaker.execute(boom))).resolves.toEqual(expected)
  })

  it.each([
    [
      'throws',
      () => {
        throw new Error('fallback failed')
      },
    ],
    ['rejects', () => Promise.reject(new Error('fallback failed'))],
  ])('rejects with the fallback error when the fallback %s', async (_, fallback) => {
    const { breaker } = make({ fallback })
    await expect(breaker.execute(boom)).rejects.toThrow('fallback failed')
    expect(breaker.snapshot().failures).toBe(1)
  })
})

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/** Captures errors thrown asynchronously (a throwing listener is reported on a microtask). */
/** The listener errors reported as process warnings while `run` runs. */
async function catchWarnings(run: () => Promise<void>): Promise<Error[]> {
  const caught: Error[] = []
  const handler = (warning: Error) => {
    if ((warning as { code?: unknown }).code === 'ERR_CIRCUIT_LISTENER') caught.push(warning)
  }
  process.on('warning', handler)
  try {
    await run()
    await flush()
    // process.emitWarning emits on the next tick.
    await new Promise((resolve) => setImmediate(resolve))
  } finally {
    process.removeListener('warning', handler)
  }
  return caught
}

const EVENT_NAMES: ReadonlyArray<keyof CircuitBreakerEvents> = [
  'stateChange',
  'open',
  'close',
  'halfOpen',
  'success',
  'failure',
  'reject',
  'timeout',
  'fallback',
]

describe('events', () => {
  /** Runs one full cycle that fires every event once or more. */
  async function cycle(breaker: CircuitBreaker, clock: FakeClock): Promise<Error> {
    await breaker.execute(() => {
      clock.advance(7)
      return 'ok'
    })
    const error = new Error('down')
    await breaker.execute(() => {
      clock.advance(3)
      return Promise.reject(error)
    })
    await breaker.execute(ok) // rejected: open -> fallback
    clock.advance(1_000)
    const slowProbe = breaker.execute(() => new Promise(() => undefined)) // half_open, times out
    clock.advance(50)
    await slowProbe
    clock.advance(1_000)
    await breaker.execute(ok) // probe success: close
    return error
  }

  function cycleBreaker() {
    return make({
      errorThreshold: 1,
      recoveryTimeout: 1_000,
      timeout: 50,
      fallback: () => 'fallback',
    })
  }

  it('fires every event with its payload', async () => {
    const { breaker, clock } = cycleBreaker()
    const seen: Array<[string, unknown]> = []
    for (const name of EVENT_NAMES) breaker.on(name, (payload) => seen.push([name, payload]))
    const error = await cycle(breaker, clock)
    const fired = new Set(seen.map(([name]) => name))
    expect([...fired].sort()).toEqual([...EVENT_NAMES].sort())
    const payloads = (name: string) => seen.filter(([n]) => n === name).map(([, p]) => p)
    expect(payloads('success')).toEqual([
      { name: 'svc', durationMs: 7 },
      { name: 'svc', durationMs: 0 },
    ])
    expect(payloads('failure')[0]).toEqual({ name: 'svc', error, durationMs: 3 })
    expect(payloads('failure')[1]).toMatchObject({ name: 'svc', durationMs: 50 })
    expect((payloads('failure')[1] as { error: unknown }).error).toBeInstanceOf(CircuitTimeoutError)
    expect(payloads('open')).toEqual([
      { name: 'svc', retryAfterMs: 1_000, reason: 'threshold', error },
      {
        name: 'svc',
        retryAfterMs: 1_000,
        reason: 'probe-failed',
        error: expect.any(CircuitTimeoutError),
      },
    ])
    expect(payloads('halfOpen')).toEqual([{ name: 'svc' }, { name: 'svc' }])
    expect(payloads('close')).toEqual([{ name: 'svc' }])
    expect(payloads('timeout')).toEqual([{ name: 'svc', timeoutMs: 50 }])
    expect(payloads('reject')).toHaveLength(1)
    expect((payloads('reject')[0] as { error: unknown }).error).toBeInstanceOf(CircuitOpenError)
    expect(payloads('fallback').map((p) => (p as { error: unknown }).error)).toEqual([
      error,
      expect.any(CircuitOpenError),
      expect.any(CircuitTimeoutError),
    ])
    expect(
      payloads('stateChange').map((p) => {
        const { from, to } = p as { from: CircuitState; to: CircuitState }
        return `${from}->${to}`
      }),
    ).toEqual([
      'closed->open',
      'open->half_open',
      'half_open->open',
      'open->half_open',
      'half_open->closed',
    ])
  })

  it('fires the onOpen / onHalfOpen / onClose shortcuts', async () => {
    const seen: string[] = []
    const { breaker, clock } = make({
      errorThreshold: 1,
      recoveryTimeout: 1_000,
      onOpen: (e) => seen.push(`open ${e.name} ${e.retryAfterMs}`),
      onHalfOpen: (e) => seen.push(`halfOpen ${e.name}`),
      onClose: (e) => seen.push(`close ${e.name}`),
    })
    await play(breaker, clock, 'F +1000 S')
    expect(seen).toEqual(['open svc 1000', 'halfOpen svc', 'close svc'])
  })

  it.each(EVENT_NAMES)(
    'stops delivering %s after unsubscribe (twice is harmless)',
    async (name) => {
      const { breaker, clock } = cycleBreaker()
      const kept = record(breaker, name)
      const dropped = record(breaker, name)
      dropped.off()
      dropped.off()
      await cycle(breaker, clock)
      expect(kept.seen.length).toBeGreaterThan(0)
      expect(dropped.seen).toEqual([])
    },
  )

  it('keeps working when a listener throws, and reports the error', async () => {
    const { breaker, clock } = cycleBreaker()
    const thrown = new Error('listener bug')
    const after: string[] = []
    for (const name of EVENT_NAMES) {
      breaker.on(name, () => {
        throw thrown
      })
      breaker.on(name, () => after.push(name))
    }
    const caught = await catchWarnings(async () => {
      await cycle(breaker, clock)
    })
    expect(breaker.state).toBe('closed')
    expect(breaker.activeCalls).toBe(0)
    expect(new Set(after)).toEqual(new Set(EVENT_NAMES))
    expect(caught.length).toBe(after.length)
    expect(caught.every((e) => e.cause === thrown)).toBe(true)
    expect(new Set(caught.map((e) => (e as ListenerError).event))).toEqual(new Set(EVENT_NAMES))
  })

  it('rejects a listener that is not a function', () => {
    const { breaker } = make()
    expect(() => breaker.on('open', 'nope' as never)).toThrow(TypeError)
  })
})

// ---------------------------------------------------------------------------------------------
// forceOpen / disable / reset
// ---------------------------------------------------------------------------------------------

describe('forceOpen / disable / reset', () => {
  it.each([
    ['closed', async () => undefined],
    ['open', async (b: CircuitBreaker) => tripNow(b)],
  ])('forceOpen() from %s rejects every call until reset()', async (_, before) => {
    const { breaker, clock } = make({ errorThreshold: 1, recoveryTimeout: 1_000 })
    const rejects = record(breaker, 'reject')
    await before(breaker)
    breaker.forceOpen()
    expect(breaker.state).toBe('forced_open')
    clock.advance(1e9)
    const { error } = await settled(breaker.execute(ok))
    expect(error).toBeInstanceOf(CircuitOpenError)
    expect(error).toMatchObject({ state: 'forced_open', retryAfterMs: 0, circuit: 'svc' })
    expect(breaker.state).toBe('forced_open')
    expect(breaker.retryAfterMs).toBe(0)
    expect(breaker.snapshot()).toMatchObject({
      state: 'forced_open',
      openedAt: null,
      retryAfterMs: 0,
    })
    expect(rejects.seen.at(-1)?.error).toBe(error)
    breaker.reset()
    await expect(breaker.execute(ok)).resolves.toBe('ok')
  })

  it('disable() admits every call and counts nothing', async () => {
    const { breaker } = make({ errorThreshold: 1 })
    breaker.disable()
    for (let i = 0; i < 20; i++) await expect(breaker.execute(boom)).rejects.toThrow('boom')
    expect(breaker.state).toBe('disabled')
    expect(breaker.snapshot()).toMatchObject({ calls: 0, failures: 0, consecutiveFailures: 0 })
  })

  it('disable() admits calls at once even when open', async () => {
    const { breaker } = make({ errorThreshold: 1 })
    await tripNow(breaker)
    breaker.disable()
    await expect(breaker.execute(ok)).resolves.toBe('ok')
  })

  it.each([
    ['open', (b: CircuitBreaker) => tripNow(b)],
    ['forced_open', async (b: CircuitBreaker) => b.forceOpen()],
    ['disabled', async (b: CircuitBreaker) => b.disable()],
  ])('reset() from %s closes and admits at once', async (state, before) => {
    const { breaker } = make({ errorThreshold: 1, recoveryTimeout: 60_000 })
    const changes = record(breaker, 'stateChange')
    await before(breaker)
    expect(breaker.state).toBe(state)
    breaker.reset()
    expect(breaker.state).toBe('closed')
    expect(breaker.retryAfterMs).toBe(0)
    expect(changes.seen.at(-1)).toEqual({ name: 'svc', from: state, to: 'closed' })
    await expect(breaker.execute(ok)).resolves.toBe('ok')
  })

  it('reset() forgets the counts of a closed circuit', async () => {
    const { breaker, clock } = make({ errorThreshold: 3 })
    await play(breaker, clock, 'F F')
    breaker.reset()
    expect(breaker.snapshot()).toMatchObject({ calls: 0, failures: 0, consecutiveFailures: 0 })
    await play(breaker, clock, 'F F')
    expect(breaker.state).toBe('closed')
  })
})

// ---------------------------------------------------------------------------------------------
// Snapshot
// ---------------------------------------------------------------------------------------------

describe('snapshot', () => {
  const states: Array<[string, (b: CircuitBreaker, clock: FakeClock) => Promise<unknown>]> = [
    ['new', async () => undefined],
    ['closed with calls', (b, c) => play(b, c, 'S F S')],
    ['open', (b) => tripNow(b)],
    [
      'half_open',
      async (b, c) => {
        await tripNow(b)
        c.advance(1_000)
        return b.acquire()
      },
    ],
    ['forced_open', async (b) => b.forceOpen()],
    ['disabled', async (b) => b.disable()],
  ]

  it.each(states)('is JSON-safe when %s', async (_, arrange) => {
    const { breaker, clock } = make({ errorThreshold: 2, recoveryTimeout: 1_000 }, 1_234)
    await arrange(breaker, clock)
    const snapshot = breaker.snapshot()
    expect(JSON.parse(JSON.stringify(snapshot))).toStrictEqual(snapshot)
    for (const key of [
      'name',
      'state',
      'failures',
      'successes',
      'consecutiveFailures',
      'failureRate',
      'slowCallRate',
      'calls',
      'openedAt',
      'retryAfterMs',
    ]) {
      expect(snapshot).toHaveProperty(key)
    }
    expect(snapshot.state).toBe(breaker.state)
    expect(snapshot.retryAfterMs).toBe(breaker.retryAfterMs)
  })

  it('reports what happened', async () => {
    const { breaker, clock } = make({ errorThreshold: 3 }, 1_000)
    await play(breaker, clock, 'S F S F F')
    expect(breaker.snapshot()).toMatchObject({
      name: 'svc',
      state: 'closed',
      calls: 5,
      failures: 3,
      successes: 2,
      consecutiveFailures: 2,
      failureRate: 0.6,
      openedAt: null,
      retryAfterMs: 0,
    })
  })
})

// ---------------------------------------------------------------------------------------------
// Permits
// ---------------------------------------------------------------------------------------------

describe('permits', () => {
  const ends = ['success', 'failure', 'ignore'] as const
  const pairs = ends.flatMap((first) => ends.map((second) => ({ first, second })))

  it.each(pairs)('a permit settled with $first then $second throws', async ({ first, second }) => {
    const { breaker } = make({ errorThreshold: 5 })
    const permit: Permit = await breaker.acquire()
    permit[first]()
    const before = breaker.snapshot()
    let thrown: unknown
    try {
      permit[second]()
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(TripswitchError)
    expect(thrown).toMatchObject({ code: 'ERR_CIRCUIT_PERMIT_SETTLED' })
    expect(isTripswitchError(thrown)).toBe(true)
    expect(breaker.snapshot()).toStrictEqual(before)
    expect(breaker.activeCalls).toBe(0)
  })

  it('measures durations from acquire to settle with the clock', async () => {
    const { breaker, clock } = make()
    const successes = record(breaker, 'success')
    const permit = await breaker.acquire()
    clock.advance(42)
    permit.success()
    expect(successes.seen).toEqual([{ name: 'svc', durationMs: 42 }])
  })

  it('tryAcquire() returns a permit at once while closed, and the refusal as a rejection', async () => {
    const { breaker, clock } = make({ errorThreshold: 1, recoveryTimeout: 100 })
    const permit = breaker.tryAcquire()
    expect(permit).not.toBeInstanceOf(Promise)
    expect((permit as Permit).probe).toBe(false)
    expect(breaker.activeCalls).toBe(1)
    ;(permit as Permit).failure(new Error('down'))
    expect(breaker.state).toBe('open')
    const refused = breaker.tryAcquire()
    expect(refused).toBeInstanceOf(Promise)
    await expect(refused).rejects.toBeInstanceOf(CircuitOpenError)
    clock.advance(100)
    const probe = breaker.tryAcquire() as Permit
    expect(probe.probe).toBe(true)
    probe.success()
    expect(breaker.state).toBe('closed')
    expect(breaker.snapshot().totals).toMatchObject({ calls: 3, notPermitted: 1, successful: 1 })
  })

  it('tryAcquire() under maxConcurrent rejects the call over the limit as busy', async () => {
    const { breaker } = make({ maxConcurrent: 1 })
    const first = breaker.tryAcquire() as Permit
    await expect(breaker.tryAcquire()).rejects.toMatchObject({ code: 'ERR_CIRCUIT_BUSY' })
    first.success()
    expect(breaker.tryAcquire()).not.toBeInstanceOf(Promise)
  })

  it('counts calls in flight', async () => {
    const { breaker } = make()
    const a = await breaker.acquire()
    const b = await breaker.acquire()
    expect(breaker.activeCalls).toBe(2)
    expect(breaker.snapshot().activeCalls).toBe(2)
    a.success()
    b.failure(new Error('x'))
    expect(breaker.activeCalls).toBe(0)
  })
})

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

describe('errors', () => {
  it('rejects with a CircuitOpenError that carries the circuit, state and wait', async () => {
    const { breaker } = make({ name: 'payments', errorThreshold: 1, recoveryTimeout: 5_000 })
    await failOnce(breaker)
    const { error } = await settled(breaker.acquire())
    expect(error).toBeInstanceOf(CircuitOpenError)
    expect(error).toBeInstanceOf(TripswitchError)
    expect(error).toBeInstanceOf(Error)
    const e = error as CircuitOpenError
    expect(e.name).toBe('CircuitOpenError')
    expect(e.code).toBe('ERR_CIRCUIT_OPEN')
    expect(e.circuit).toBe('payments')
    expect(e.state).toBe('open')
    expect(e.retryAfterMs).toBe(5_000)
    expect(e.message).toContain('payments')
    expect(isCircuitOpenError(e)).toBe(true)
    expect(isTripswitchError(e)).toBe(true)
    expect(isCircuitTimeoutError(e)).toBe(false)
    expect(isInvalidOptionsError(e)).toBe(false)
  })

  it('names its classes', () => {
    const timeout = new CircuitTimeoutError('db', 250)
    expect(timeout).toBeInstanceOf(TripswitchError)
    expect(timeout).toMatchObject({
      name: 'CircuitTimeoutError',
      code: 'ERR_CIRCUIT_TIMEOUT',
      circuit: 'db',
      timeout: 250,
    })
    expect(timeout.message).toContain('250')
    expect(isCircuitTimeoutError(timeout)).toBe(true)
    expect(isCircuitOpenError(timeout)).toBe(false)
  })

  it.each([
    [{ code: 'ERR_CIRCUIT_OPEN' }, [true, false, false, true]],
    [{ code: 'ERR_CIRCUIT_TIMEOUT', circuit: 'x' }, [false, true, false, true]],
    [{ code: 'ERR_CIRCUIT_OPTIONS' }, [false, false, true, true]],
    [{ code: 'ERR_CIRCUIT_PERMIT_SETTLED' }, [false, false, false, true]],
    [{ code: 'ERR_CIRCUIT_TRANSITION' }, [false, false, false, true]],
    [Object.assign(new Error('x'), { code: 'ERR_CIRCUIT_OPEN' }), [true, false, false, true]],
    [{ code: 'ERR_OTHER' }, [false, false, false, false]],
    [{ code: 1 }, [false, false, false, false]],
    [new Error('ERR_CIRCUIT_OPEN'), [false, false, false, false]],
    ['ERR_CIRCUIT_OPEN', [false, false, false, false]],
    [null, [false, false, false, false]],
    [undefined, [false, false, false, false]],
  ])('guards check the code of %j', (value, [open, timeout, options, any]) => {
    expect(isCircuitOpenError(value)).toBe(open)
    expect(isCircuitTimeoutError(value)).toBe(timeout)
    expect(isInvalidOptionsError(value)).toBe(options)
    expect(isTripswitchError(value)).toBe(any)
  })

  it('agrees with errors from a second copy of core', async () => {
    // A query string makes the module loader evaluate errors.ts a second time.
    const path = '../src/errors.ts?second-copy'
    const copy = (await import(/* @vite-ignore */ path)) as typeof import('../src/errors.ts')
    const open = new copy.CircuitOpenError('db', 'open', 10)
    const timeout = new copy.CircuitTimeoutError('db', 10)
    expect(open).not.toBeInstanceOf(CircuitOpenError)
    expect(isCircuitOpenError(open)).toBe(true)
    expect(isTripswitchError(open)).toBe(true)
    expect(isCircuitTimeoutError(timeout)).toBe(true)
    const { breaker } = make({ errorThreshold: 1 })
    await failOnce(breaker)
    const { error } = await settled(breaker.acquire())
    expect(error).not.toBeInstanceOf(copy.CircuitOpenError)
    expect(copy.isCircuitOpenError(error)).toBe(true)
  })
})

// ---------------------------------------------------------------------------------------------
// Generation fencing
// ---------------------------------------------------------------------------------------------

describe('generation fencing', () => {
  it('ignores outcomes of calls admitted before the circuit opened and closed again', async () => {
    const { breaker, clock } = make({ errorThreshold: 2, recoveryTimeout: 1_000 })
    const stale = [await breaker.acquire(), await breaker.acquire()]
    await play(breaker, clock, 'F F +1000 S')
    expect(breaker.state).toBe('closed')
    stale[0]?.failure(new Error('old'))
    stale[1]?.failure(new Error('old'))
    expect(breaker.state).toBe('closed')
    expect(breaker.snapshot()).toMatchObject({ calls: 0, failures: 0 })
    expect(breaker.activeCalls).toBe(0)
  })

  it('does not let a stale success break a new failure streak', async () => {
    const { breaker, clock } = make({ errorThreshold: 2, recoveryTimeout: 1_000 })
    const stale = await breaker.acquire()
    await play(breaker, clock, 'F F +1000 S F')
    stale.success()
    await failOnce(breaker)
    expect(breaker.state).toBe('open')
  })

  it('does not let a stale failure reopen a half-open circuit', async () => {
    const { breaker, clock } = make({ errorThreshold: 1, recoveryTimeout: 1_000 })
    const stale = await breaker.acquire()
    await play(breaker, clock, 'F +1000')
    const probe = await breaker.acquire()
    expect(breaker.state).toBe('half_open')
    stale.failure(new Error('old'))
    expect(breaker.state).toBe('half_open')
    probe.success()
    expect(breaker.state).toBe('closed')
  })

  it('ignores calls admitted before forceOpen() + reset()', async () => {
    const { breaker } = make({ errorThreshold: 1 })
    const stale = await breaker.acquire()
    breaker.forceOpen()
    breaker.reset()
    stale.failure(new Error('old'))
    expect(breaker.state).toBe('closed')
  })

  it('ignores a probe that outlived a reset()', async () => {
    const { breaker, clock } = make({ errorThreshold: 1, recoveryTimeout: 1_000 })
    await play(breaker, clock, 'F +1000')
    const probe = await breaker.acquire()
    breaker.reset()
    probe.failure(new Error('late probe'))
    expect(breaker.state).toBe('closed')
  })

  it('ignores a probe of an earlier half-open period', async () => {
    const { breaker, clock } = make({
      errorThreshold: 1,
      recoveryTimeout: 1_000,
      halfOpenMaxCalls: 2,
    })
    await play(breaker, clock, 'F +1000')
    const [first, second] = [await breaker.acquire(), await breaker.acquire()]
    first.failure(new Error('probe failed'))
    expect(breaker.state).toBe('open')
    second.success()
    expect(breaker.state).toBe('open')
    clock.advance(1_000)
    const third = await breaker.acquire()
    expect(third.probe).toBe(true)
  })
})

// ---------------------------------------------------------------------------------------------
// Shared store
// ---------------------------------------------------------------------------------------------

describe('two breakers sharing a MemoryStore', () => {
  function pair(options: CircuitBreakerOptions = {}) {
    const clock = new FakeClock(1_000)
    const store = new MemoryStore({ clock })
    const shared = {
      name: 'db',
      clock,
      store,
      errorThreshold: 1,
      recoveryTimeout: 1_000,
      ...options,
    }
    return { clock, store, a: new CircuitBreaker(shared), b: new CircuitBreaker(shared) }
  }

  it('sees the other breaker trip', async () => {
    const { a, b, clock } = pair()
    await failOnce(a)
    expect(a.state).toBe('open')
    expect(b.state).toBe('open')
    clock.advance(400)
    expect(b.retryAfterMs).toBe(600)
    await expect(b.acquire()).rejects.toMatchObject({ code: 'ERR_CIRCUIT_OPEN', circuit: 'db' })
  })

  it.each([1, 2, 3])('shares exactly halfOpenMaxCalls = %i probes across both', async (max) => {
    const { a, b, clock } = pair({ halfOpenMaxCalls: max })
    await failOnce(b)
    clock.advance(1_000)
    const granted: Array<{ by: string; permit: Permit }> = []
    const refused: unknown[] = []
    for (let i = 0; i < 4; i++) {
      for (const [by, breaker] of [
        ['a', a],
        ['b', b],
      ] as const) {
        const result = await settled(breaker.acquire())
        if (result.value) granted.push({ by, permit: result.value })
        else refused.push(result.error)
      }
    }
    expect(granted).toHaveLength(max)
    expect(granted.every((g) => g.permit.probe)).toBe(true)
    expect(refused).toHaveLength(8 - max)
    for (const error of refused) expect(error).toMatchObject({ state: 'half_open' })
    expect(a.state).toBe('half_open')
    expect(b.state).toBe('half_open')
  })

  it('closes both on a probe success of either', async () => {
    const { a, b, clock } = pair()
    await failOnce(a)
    clock.advance(1_000)
    await b.execute(ok)
    expect(a.state).toBe('closed')
    expect(b.state).toBe('closed')
    await expect(a.execute(ok)).resolves.toBe('ok')
  })

  it('reopens both on a probe failure of either', async () => {
    const { a, b, clock } = pair()
    await failOnce(a)
    clock.advance(1_000)
    await failOnce(b)
    expect(a.state).toBe('open')
    expect(b.state).toBe('open')
  })

  it('frees a shared probe slot when the probe is ignored', async () => {
    const { a, b, clock } = pair()
    await failOnce(a)
    clock.advance(1_000)
    const probe = await a.acquire()
    await expect(b.acquire()).rejects.toMatchObject({ state: 'half_open' })
    probe.ignore()
    await expect(b.acquire()).resolves.toMatchObject({ probe: true })
  })

  it('shares forceOpen() and reset()', async () => {
    const { a, b } = pair()
    a.forceOpen()
    expect(b.state).toBe('forced_open')
    b.reset()
    expect(a.state).toBe('closed')
  })

  it('gives a breaker created later the current shared state', async () => {
    const { a, clock, store } = pair()
    await failOnce(a)
    clock.advance(300)
    const late = new CircuitBreaker({ name: 'db', clock, store })
    expect(late.state).toBe('open')
    expect(late.retryAfterMs).toBe(700)
  })

  it('keeps breakers of other names apart', async () => {
    const { a, clock, store } = pair()
    const other = new CircuitBreaker({ name: 'cache', clock, store })
    await failOnce(a)
    expect(other.state).toBe('closed')
  })

  it('stops following the store after dispose()', async () => {
    const { a, b } = pair()
    b.dispose()
    await failOnce(a)
    expect(b.state).toBe('closed')
  })
})

// ---------------------------------------------------------------------------------------------
// A throwing classifier
// ---------------------------------------------------------------------------------------------

describe('a classifier that throws', () => {
  const bug = new Error('classifier bug')
  const throwing = () => {
    throw bug
  }

  const cases: Array<[string, CircuitBreakerOptions, () => unknown]> = [
    ['detectError', { detectError: throwing }, () => 'value'],
    ['detectError (with timeout)', { detectError: throwing, timeout: 100 }, () => 'value'],
    ['isFailure', { isFailure: throwing }, boom],
    ['isFailure (with timeout)', { isFailure: throwing, timeout: 100 }, boom],
  ]

  it.each(cases)(
    '%s: rejects with its error and still settles the permit',
    async (_, options, fn) => {
      const { breaker, clock } = make({ errorThreshold: 5, ...options })
      await expect(breaker.execute(fn)).rejects.toBe(bug)
      expect(breaker.activeCalls).toBe(0)
      expectTimerGone(clock, 100)
    },
  )

  it.each(cases)('%s: does not hold a half-open probe slot', async (_, options, fn) => {
    const { breaker, clock } = make({ errorThreshold: 1, recoveryTimeout: 1_000, ...options })
    await tripNow(breaker)
    clock.advance(1_000)
    await expect(breaker.execute(fn)).rejects.toBe(bug)
    expect(breaker.activeCalls).toBe(0)
    // The probe counted as a failure: the circuit reopened instead of waiting on a lost lease.
    expect(breaker.state).toBe('open')
    clock.advance(1_000)
    await expect(breaker.acquire()).resolves.toMatchObject({ probe: true })
  })
})

describe('open event', () => {
  it('reports the full open duration even when the clock ticks between reads', async () => {
    let now = 0
    // Every read is 1 ms later, like a busy system clock.
    const clock = { now: () => now++ }
    const breaker = new CircuitBreaker({ clock, errorThreshold: 1, recoveryTimeout: 15_000 })
    const opened: number[] = []
    breaker.on('open', ({ retryAfterMs }) => opened.push(retryAfterMs))
    await breaker.execute(boom).catch(() => undefined)
    expect(opened).toEqual([15_000])
  })
})

describe('failure details: retryAfterMs (the callee asked not to be called)', () => {
  const failWith = async (breaker: CircuitBreaker, retryAfterMs: number) =>
    (await breaker.acquire()).failure(new Error('429'), { retryAfterMs })

  it('keeps a circuit it opens open at least that long', async () => {
    const { breaker, clock } = make({ errorThreshold: 1, recoveryTimeout: 1_000 })
    await failWith(breaker, 60_000)
    expect(breaker.state).toBe('open')
    expect(breaker.retryAfterMs).toBe(60_000)
    clock.advance(59_999)
    await expect(breaker.acquire()).rejects.toMatchObject({ retryAfterMs: 1 })
    clock.advance(1)
    expect((await breaker.acquire()).probe).toBe(true)
  })

  it('never shortens the recovery timeout', async () => {
    const { breaker } = make({ errorThreshold: 1, recoveryTimeout: 10_000 })
    await failWith(breaker, 2_000)
    expect(breaker.retryAfterMs).toBe(10_000)
  })

  it('applies to a later trip while it lasts, and not once it has passed', async () => {
    const { breaker, clock } = make({ errorThreshold: 2, recoveryTimeout: 1_000 })
    await failWith(breaker, 30_000)
    clock.advance(10_000)
    ;(await breaker.acquire()).failure(new Error('500'))
    expect(breaker.retryAfterMs).toBe(20_000)

    const late = make({ errorThreshold: 2, recoveryTimeout: 1_000 })
    await failWith(late.breaker, 30_000)
    late.clock.advance(30_000)
    ;(await late.breaker.acquire()).failure(new Error('500'))
    expect(late.breaker.retryAfterMs).toBe(1_000)
  })

  it('reopens a failed probe for that long', async () => {
    const { breaker, clock } = make({ errorThreshold: 1, recoveryTimeout: 1_000 })
    await failWith(breaker, 0)
    clock.advance(1_000)
    const probe = await breaker.acquire()
    expect(probe.probe).toBe(true)
    probe.failure(new Error('503'), { retryAfterMs: 45_000 })
    expect(breaker.state).toBe('open')
    expect(breaker.retryAfterMs).toBe(45_000)
  })

  it('reaches every breaker sharing the store, and the open event', async () => {
    const clock = new FakeClock(0)
    const store = new MemoryStore({ clock })
    const options = { name: 'partner', clock, store, errorThreshold: 1, recoveryTimeout: 1_000 }
    const a = new CircuitBreaker(options)
    const b = new CircuitBreaker(options)
    const opened: number[] = []
    a.on('open', ({ retryAfterMs }) => opened.push(retryAfterMs))
    await failWith(a, 120_000)
    expect(opened).toEqual([120_000])
    expect(b.state).toBe('open')
    await expect(b.acquire()).rejects.toMatchObject({ retryAfterMs: 120_000 })
  })

  it('is not taken from a success or an ignored call', async () => {
    const { breaker } = make({ errorThreshold: 1, recoveryTimeout: 1_000 })
    ;(await breaker.acquire()).settle('ignore', undefined, { retryAfterMs: 50_000 })
    ;(await breaker.acquire()).settle('success', undefined, { retryAfterMs: 50_000 })
    await failWith(breaker, 0)
    expect(breaker.retryAfterMs).toBe(1_000)
  })

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, '5'])(
    'rejects retryAfterMs %s with InvalidOptionsError, leaving the permit to settle',
    async (value) => {
      const { breaker } = make({ errorThreshold: 1 })
      const permit = await breaker.acquire()
      expect(() => permit.failure(new Error('x'), { retryAfterMs: value as number })).toThrow(
        expect.objectContaining({ code: 'ERR_CIRCUIT_OPTIONS', option: 'retryAfterMs' }),
      )
      permit.failure(new Error('x'))
      expect(breaker.state).toBe('open')
    },
  )
})

describe('open deadline and the store', () => {
  /** A MemoryStore whose trip transition reads the clock 1 ms after the breaker did. */
  function lateStore(clock: FakeClock, answer: 'sync' | 'async') {
    const memory = new MemoryStore({ clock })
    return new Proxy(memory, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver)
        if (typeof value !== 'function') return value
        if (property !== 'transition') return value.bind(target)
        return (...args: unknown[]) => {
          if ((args[1] as { to: string }).to === 'open') clock.advance(1)
          const result: unknown = value.apply(target, args)
          return answer === 'sync' ? result : Promise.resolve(result)
        }
      },
    })
  }

  async function tripped(answer: 'sync' | 'async') {
    const clock = new FakeClock(0)
    const store = lateStore(clock, answer)
    const breaker = new CircuitBreaker({ clock, store, errorThreshold: 1, recoveryTimeout: 5_000 })
    await breaker.execute(boom).catch(() => undefined)
    expect(breaker.state).toBe('open')
    clock.advance(breaker.retryAfterMs)
    return { clock, breaker }
  }

  it('admits the probe once retryAfterMs reached 0 (a store answering at once)', async () => {
    const { breaker } = await tripped('sync')
    expect(breaker.retryAfterMs).toBe(0)
    expect((await breaker.acquire()).probe).toBe(true)
  })

  it("a probe the store denies is refused with the store's remaining time, not 0", async () => {
    const { breaker, clock } = await tripped('async')
    await expect(breaker.acquire()).rejects.toMatchObject({ retryAfterMs: 1 })
    clock.advance(1)
    expect((await breaker.acquire()).probe).toBe(true)
  })
})
