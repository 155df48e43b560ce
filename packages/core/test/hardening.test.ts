import { execFile } from 'node:child_process'
import { getEventListeners } from 'node:events'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import {
  CircuitBreaker,
  CircuitBreakerRegistry,
  isCircuitTimeoutError,
  isInvalidOptionsError,
  MemoryStore,
  systemClock,
} from '@tripswitch/core'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { FakeClock } from '../src/testing/fake-clock.ts'

const CORE_DIR = fileURLToPath(new URL('..', import.meta.url))
const CHILD = fileURLToPath(new URL('./support/fault-child.ts', import.meta.url))

/** Runs the fault fixture in `mode`; resolves with its exit code and its JSON line. */
async function runChild(mode: string): Promise<{ code: number; report: Record<string, unknown> }> {
  const { NODE_OPTIONS: _ignored, ...env } = process.env
  const args = ['--conditions=@tripswitch/source', '--import', 'tsx', CHILD, mode]
  try {
    const { stdout } = await promisify(execFile)(process.execPath, args, {
      cwd: CORE_DIR,
      env,
      timeout: 20_000,
    })
    return { code: 0, report: JSON.parse(stdout.trim()) }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string }
    throw new Error(`child ${mode} exited ${e.code}: ${e.stderr ?? ''}${e.stdout ?? ''}`)
  }
}

function invalid(build: () => unknown): { option: string; message: string } {
  try {
    build()
  } catch (error) {
    if (isInvalidOptionsError(error)) return { option: error.option, message: error.message }
    throw error
  }
  throw new Error('expected an InvalidOptionsError')
}

const ok = () => Promise.resolve('ok')
const boom = () => Promise.reject(new Error('boom'))

describe('listener errors never take the process down', () => {
  it('keeps a process alive whose onOpen listener throws, and reports it as a warning', async () => {
    const { code, report } = await runChild('throwing-listener')
    expect(code).toBe(0)
    expect(report).toEqual({
      state: 'open',
      result: 'Error: down',
      warnings: ['ERR_CIRCUIT_LISTENER'],
    })
  }, 30_000)

  it('does not let a throwing listener change the call’s answer', async () => {
    const breaker = new CircuitBreaker({ clock: new FakeClock() })
    breaker.on('success', () => {
      throw new Error('listener bug')
    })
    await expect(breaker.execute(ok)).resolves.toBe('ok')
    expect(breaker.snapshot()).toMatchObject({ successes: 1, activeCalls: 0 })
  })
})

describe('calls and signals', () => {
  it.each([
    ['(...args)', (...args: unknown[]) => args[0] as AbortSignal],
    ['(signal = x)', (signal: AbortSignal = new AbortController().signal) => signal],
  ])('gives a function declared %s a signal that aborts on timeout', async (_, read) => {
    const clock = new FakeClock()
    const breaker = new CircuitBreaker({ clock, timeout: 100 })
    let signal: AbortSignal | undefined
    const call = breaker.execute((...args: unknown[]) => {
      signal = (read as (...a: unknown[]) => AbortSignal)(...args)
      return new Promise<never>(() => {})
    })
    clock.advance(100)
    await expect(call).rejects.toSatisfy(isCircuitTimeoutError)
    expect(signal?.aborted).toBe(true)
  })

  it('keeps no abort listener on the shared signal of calls without a timeout', async () => {
    const breaker = new CircuitBreaker({ clock: new FakeClock() })
    const signals = new Set<AbortSignal>()
    for (let i = 0; i < 20_000; i++)
      await breaker.execute((signal) => {
        signals.add(signal)
        signal.addEventListener('abort', () => {})
        signal.onabort = () => {}
        return i
      })
    const [signal] = signals
    expect(signals.size).toBe(1)
    expect(signal?.aborted).toBe(false)
    expect(getEventListeners(signal!, 'abort')).toHaveLength(0)
    expect(signal?.onabort).toBeNull()
  })

  it('keeps the process alive while a call waits for its timeout', async () => {
    const { code, report } = await runChild('never-settles')
    expect(code).toBe(0)
    expect(report).toEqual({ timedOut: true })
  }, 30_000)

  it('keeps the process alive through calls that time out in turn, on two breakers', async () => {
    const { code, report } = await runChild('waits-in-turn')
    expect(code).toBe(0)
    expect(report).toEqual({ timedOut: [true, true, true, true] })
  }, 30_000)

  it.each([null, undefined, 'x', 42, {}])(
    'rejects execute(%s) with a TypeError and counts nothing',
    async (fn) => {
      const breaker = new CircuitBreaker({ clock: new FakeClock(), errorThreshold: 1 })
      const failures = vi.fn()
      breaker.on('failure', failures)
      await expect(breaker.execute(fn as never)).rejects.toThrow(TypeError)
      expect(() => breaker.wrap(fn as never)).toThrow(TypeError)
      expect(failures).not.toHaveBeenCalled()
      expect(breaker.snapshot()).toMatchObject({ state: 'closed', calls: 0, activeCalls: 0 })
    },
  )
})

describe('time', () => {
  afterEach(() => vi.restoreAllMocks())

  it('keeps an open circuit’s time when the wall clock steps back an hour', async () => {
    const breaker = new CircuitBreaker({ errorThreshold: 1, recoveryTimeout: 30_000 })
    await breaker.execute(boom).catch(() => undefined)
    const before = breaker.retryAfterMs
    const wall = Date.now()
    vi.spyOn(Date, 'now').mockReturnValue(wall - 3_600_000)
    expect(breaker.retryAfterMs).toBeLessThanOrEqual(before)
    expect(breaker.retryAfterMs).toBeGreaterThan(29_000)
    vi.spyOn(Date, 'now').mockReturnValue(wall + 3_600_000)
    expect(breaker.state).toBe('open')
  })

  it('reads monotonic whole milliseconds near the wall clock at start', () => {
    const a = systemClock.now()
    const b = systemClock.now()
    expect(b).toBeGreaterThanOrEqual(a)
    expect(Number.isInteger(a)).toBe(true)
    expect(Math.abs(a - Date.now())).toBeLessThan(60_000)
  })

  it('follows a performance object installed after it loaded (a test fake)', () => {
    const real = globalThis.performance
    const fake = { timeOrigin: 1_000, now: () => 5.75 } as unknown as typeof performance
    vi.stubGlobal('performance', fake)
    try {
      expect(systemClock.now()).toBe(1_005)
    } finally {
      vi.stubGlobal('performance', real)
    }
    expect(Math.abs(systemClock.now() - Date.now())).toBeLessThan(60_000)
  })
})

describe('options are read safely', () => {
  afterEach(() => {
    for (const key of ['timeout', 'errorThreshold', 'setTimeout', 'name', 'multiplier'])
      delete (Object.prototype as Record<string, unknown>)[key]
  })

  it('refuses a JSON "__proto__" key instead of letting it smuggle options', () => {
    const parsed = JSON.parse('{"__proto__": {"errorThreshold": -1}, "recoveryTimeout": 1000}')
    expect(invalid(() => new CircuitBreaker(parsed)).option).toBe('__proto__')
    expect(invalid(() => new CircuitBreakerRegistry({ defaults: parsed })).option).toBe(
      'defaults.__proto__',
    )
    expect(invalid(() => new CircuitBreakerRegistry().get('x', parsed)).option).toBe('__proto__')
    const backoff = JSON.parse('{"__proto__": {"multiplier": 100}}')
    expect(invalid(() => new CircuitBreaker({ backoff })).option).toBe('backoff.__proto__')
  })

  it('never takes a setting from Object.prototype, nor keeps one after the pollution is gone', () => {
    const proto = Object.prototype as Record<string, unknown>
    proto.timeout = 1
    proto.errorThreshold = 1
    proto.multiplier = 100
    proto.name = 'polluted'
    const registry = new CircuitBreakerRegistry({ defaults: {} })
    const breakers = [
      new CircuitBreaker({}),
      new CircuitBreaker({ backoff: {} }),
      registry.get('a'),
      registry.get('b', {}),
    ]
    for (const b of breakers) {
      expect(b.settings.timeout).toBeUndefined()
      expect(b.settings.errorThreshold).toBe(5)
      expect(b.name).not.toBe('polluted')
    }
    expect(breakers[1]?.settings.backoff?.multiplier).toBe(2)
    delete proto.timeout
    delete proto.errorThreshold
    expect(new CircuitBreaker({}).settings).toMatchObject({ errorThreshold: 5, timeout: undefined })
  })

  it('uses a clock’s own timers, never one planted on Object.prototype', async () => {
    const planted = vi.fn()
    ;(Object.prototype as Record<string, unknown>).setTimeout = planted
    const breaker = new CircuitBreaker({ clock: { now: () => Date.now() }, timeout: 5 })
    await expect(breaker.execute(() => new Promise(() => {}))).rejects.toSatisfy(
      isCircuitTimeoutError,
    )
    expect(planted).not.toHaveBeenCalled()
  })

  it.each([
    ['an arrow function', [() => undefined]],
    ['a plain object', [{}]],
  ])('refuses %s among ignoreErrors / recordErrors', (_, classes) => {
    expect(invalid(() => new CircuitBreaker({ ignoreErrors: classes as never })).option).toBe(
      'ignoreErrors',
    )
    expect(invalid(() => new CircuitBreaker({ recordErrors: classes as never })).option).toBe(
      'recordErrors',
    )
  })

  it('accepts classes, bound classes and Symbol.hasInstance objects', async () => {
    const anyTimeout = { [Symbol.hasInstance]: (v: unknown) => v instanceof RangeError }
    const breaker = new CircuitBreaker({
      clock: new FakeClock(),
      errorThreshold: 1,
      ignoreErrors: [TypeError.bind(null) as never, anyTimeout as never],
    })
    await breaker.execute(() => Promise.reject(new RangeError('x'))).catch(() => undefined)
    expect(breaker.state).toBe('closed')
  })

  it.each(['setTimeout', 'clearTimeout'])('refuses a clock whose %s is not a function', (timer) => {
    const clock = { now: () => 0, [timer]: 5 }
    expect(invalid(() => new CircuitBreaker({ clock })).option).toBe(`clock.${timer}`)
    expect(invalid(() => new MemoryStore({ clock })).option).toBe(`clock.${timer}`)
  })

  it('refuses null options in the registry with InvalidOptionsError', () => {
    const registry = new CircuitBreakerRegistry()
    expect(invalid(() => registry.get('x', null as never)).option).toBe('options')
    expect(invalid(() => registry.validate(null as never)).option).toBe('options')
    expect(invalid(() => new CircuitBreakerRegistry({ defaults: null as never })).option).toBe(
      'defaults',
    )
  })

  it('quotes at most about 100 characters of a bad value (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 257, maxLength: 5_000 }), (name) => {
        const { message } = invalid(() => new CircuitBreaker({ name }))
        expect(message.length).toBeLessThan(300)
      }),
      { numRuns: 50 },
    )
    const { message } = invalid(() => new CircuitBreaker({ name: 'x'.repeat(1_000_000) }))
    expect(message).toContain('1000002 characters')
    expect(message.length).toBeLessThan(300)
  })
})

describe('upstream hints are bounded (maxRetryAfter)', () => {
  async function holdFor(options: object, retryAfterMs: number): Promise<number> {
    const breaker = new CircuitBreaker({ clock: new FakeClock(), errorThreshold: 1, ...options })
    ;(await breaker.acquire()).failure(new Error('503'), { retryAfterMs })
    return breaker.retryAfterMs
  }

  it('caps a huge Retry-After at the default: the larger of recoveryTimeout and 10 minutes', async () => {
    expect(await holdFor({}, 99_999_999_000)).toBe(600_000)
    expect(await holdFor({ recoveryTimeout: 900_000 }, 99_999_999_000)).toBe(900_000)
  })

  it('caps it at backoff.maxRecoveryTimeout when backoff is set', async () => {
    const backoff = { maxRecoveryTimeout: 60_000, jitter: 0 }
    expect(await holdFor({ recoveryTimeout: 1_000, backoff }, 99_999_999_000)).toBe(60_000)
  })

  it('caps it at maxRetryAfter, and still honours a shorter hint', async () => {
    expect(await holdFor({ maxRetryAfter: 5_000 }, 99_999_999_000)).toBe(30_000)
    expect(await holdFor({ recoveryTimeout: 1_000, maxRetryAfter: 5_000 }, 9_999_999)).toBe(5_000)
    expect(await holdFor({ recoveryTimeout: 1_000 }, 3_000)).toBe(3_000)
  })

  it.each([0, -1, 1.5, Number.NaN, '60000', null])('refuses maxRetryAfter %s', (value) => {
    expect(invalid(() => new CircuitBreaker({ maxRetryAfter: value as number })).option).toBe(
      'maxRetryAfter',
    )
  })
})

/** Lets every promise reaction already due run (FakeClock timers fire synchronously). */
async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 12; i++) await Promise.resolve()
}

describe('timed calls on one timer per breaker', () => {
  it.each([
    ['() => 1', () => 1, false],
    ['async () => 1', async () => 1, false],
    [
      'function () {}',
      function named() {
        return 1
      },
      false,
    ],
    ['(signal) => signal', (signal: AbortSignal) => signal, true],
    ['(...args) => args', (...args: unknown[]) => args, true],
    ['(signal = x) => signal', (signal: unknown = 1) => signal, true],
    [
      'function () { arguments }',
      function reads() {
        // biome-ignore lint/complexity/noArguments: the case under test
        return arguments.length
      },
      true,
    ],
    ['a bound function', (() => 1).bind(null), true],
    // An arrow has no arguments of its own: a body that mentions them reads none.
    ["() => 'arguments'", () => 'arguments', false],
    // Made from source: the test's transform would drop the comment.
    ['(/* signal */) => 1', new Function('return (/* signal */) => 1')() as () => number, true],
  ])('gives %s a signal: %s', async (_, fn, expected) => {
    const clock = new FakeClock()
    const breaker = new CircuitBreaker({ clock, timeout: 100 })
    let received: unknown
    await breaker.execute((...args: unknown[]) => {
      received = args[0]
      return (fn as (...a: unknown[]) => unknown)(...args)
    })
    // The wrapper above declares (...args): it always gets one. The case's own verdict:
    const { asksForSignal } = await import('../src/asks-for-signal.ts')
    expect(asksForSignal(fn as () => unknown)).toBe(expected)
    expect(received).toBeInstanceOf(AbortSignal)
    // Asked again, remembered or read again: the same verdict.
    for (let i = 0; i < 64; i++) expect(asksForSignal(fn as () => unknown)).toBe(expected)
  })

  it('times out wrapped calls, which get their own arguments and no signal', async () => {
    const clock = new FakeClock()
    const breaker = new CircuitBreaker({ clock, timeout: 100 })
    const seen: unknown[][] = []
    const guarded = breaker.wrap((...args: unknown[]) => {
      seen.push(args)
      return args[0] === 'never' ? new Promise<never>(() => {}) : Promise.resolve(args.length)
    })
    await expect(guarded('a', 'b')).resolves.toBe(2)
    const late = guarded('never')
    clock.advance(100)
    await expect(late).rejects.toSatisfy(isCircuitTimeoutError)
    expect(seen).toEqual([['a', 'b'], ['never']])
    expect(breaker.snapshot().totals).toMatchObject({ calls: 2, successful: 1, timeouts: 1 })
  })

  it('times out exactly the calls still running at their deadline (property)', async () => {
    const call = fc.record({
      startAfter: fc.integer({ min: 0, max: 150 }),
      settleAfter: fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }),
    })
    await fc.assert(
      fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 20 }), async (calls) => {
        const clock = new FakeClock()
        const breaker = new CircuitBreaker({ clock, timeout: 100, errorThreshold: 1_000 })
        const outcomes: Array<Promise<string>> = []
        const settleAt: Array<{ at: number; resolve: (v: string) => void }> = []
        let startAt = 0
        const starts = calls.map((c) => {
          startAt += c.startAfter
          return startAt
        })
        const start = (c: (typeof calls)[number]) => {
          const started = clock.now()
          const run = () =>
            new Promise<string>((resolve) => {
              if (c.settleAfter !== undefined)
                settleAt.push({ at: started + c.settleAfter, resolve })
            })
          const timedOut = (error: unknown) => (isCircuitTimeoutError(error) ? 'timeout' : 'other')
          outcomes.push(breaker.execute(run).then(() => 'settled', timedOut))
        }
        // One timeline, 1 ms at a time: calls start, then settle at their moment, then timers run.
        const end = Math.max(...starts) + 301
        for (let t = 0; t <= end; t++) {
          calls.forEach((c, i) => {
            if (starts[i] === t) start(c)
          })
          for (const s of settleAt) if (s.at === t) s.resolve('ok')
          await flushMicrotasks()
          clock.advance(1)
          await flushMicrotasks()
        }
        const got = await Promise.all(outcomes)
        const expected = calls.map((c) =>
          c.settleAfter !== undefined && c.settleAfter < 100 ? 'settled' : 'timeout',
        )
        expect(got).toEqual(expected)
        expect(breaker.activeCalls).toBe(0)
        expect(clock.pendingTimers).toBe(0)
      }),
      { numRuns: 40 },
    )
  })
})

describe('timed calls without a permit', () => {
  class Ignored extends Error {}
  const kinds = ['resolve', 'reject', 'ignored', 'never'] as const

  // A breaker whose options leave nothing to run on an outcome but counting takes timed calls
  // without a permit; a success listener sends the same calls through permits. Both must
  // answer, count, trip and emit timeouts alike.
  it('answers and counts as timed calls with a permit do (property)', async () => {
    const call = fc.record({
      startAfter: fc.integer({ min: 0, max: 60 }),
      settleAfter: fc.integer({ min: 1, max: 200 }),
      kind: fc.constantFrom(...kinds),
    })
    const options = fc.record({
      errorThreshold: fc.integer({ min: 1, max: 4 }),
      listenLate: fc.boolean(),
    })
    await fc.assert(
      fc.asyncProperty(
        options,
        fc.array(call, { minLength: 1, maxLength: 12 }),
        async (o, calls) => {
          const clock = new FakeClock()
          const made = (permits: boolean) => {
            const breaker = new CircuitBreaker({
              name: 'timed',
              clock,
              timeout: 100,
              errorThreshold: o.errorThreshold,
              recoveryTimeout: 1_000_000,
              ignoreErrors: [Ignored],
            })
            if (permits) breaker.on('success', () => undefined)
            const timeouts: number[] = []
            const listen = () => breaker.on('timeout', (e) => timeouts.push(e.timeoutMs))
            if (!o.listenLate) listen()
            return { breaker, answers: [] as Array<Promise<string>>, timeouts, listen }
          }
          const lean = made(false)
          const permitted = made(true)
          const settleAt: Array<{ at: number; settle: () => void }> = []
          const start = (c: (typeof calls)[number]) => {
            for (const side of [lean, permitted]) {
              const run = () =>
                new Promise<string>((resolve, reject) => {
                  const settle = {
                    resolve: () => resolve('ok'),
                    reject: () => reject(new Error('down')),
                    ignored: () => reject(new Ignored('ignored')),
                    never: undefined,
                  }[c.kind]
                  if (settle !== undefined)
                    settleAt.push({ at: clock.now() + c.settleAfter, settle })
                })
              const named = (error: unknown) =>
                isCircuitTimeoutError(error) ? 'timeout' : (error as Error).message
              side.answers.push(side.breaker.execute(run).then((v) => v, named))
            }
          }
          let t = 0
          for (const c of calls) {
            for (let i = 0; i < c.startAfter; i++, t++) {
              for (const s of settleAt) if (s.at === t) s.settle()
              await flushMicrotasks()
              clock.advance(1)
              await flushMicrotasks()
            }
            start(c)
            if (o.listenLate && c === calls[0]) for (const side of [lean, permitted]) side.listen()
          }
          for (const end = t + 201; t <= end; t++) {
            for (const s of settleAt) if (s.at === t) s.settle()
            await flushMicrotasks()
            clock.advance(1)
            await flushMicrotasks()
          }
          expect(await Promise.all(lean.answers)).toEqual(await Promise.all(permitted.answers))
          expect(lean.breaker.snapshot()).toEqual(permitted.breaker.snapshot())
          expect(lean.timeouts).toEqual(permitted.timeouts)
          expect(lean.breaker.activeCalls).toBe(0)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('rejects with the classifier’s own error and counts a failure, as with a permit', async () => {
    // Checked with a probe value when the options are read: only the call's error breaks it.
    const throwing = {
      [Symbol.hasInstance](value: unknown) {
        if (value instanceof Error && value.message === 'down') throw new Error('classifier broke')
        return false
      },
    }
    const breaker = new CircuitBreaker({
      clock: new FakeClock(),
      timeout: 100,
      ignoreErrors: [throwing as never],
    })
    await expect(breaker.execute(() => Promise.reject(new Error('down')))).rejects.toThrow(
      'classifier broke',
    )
    expect(breaker.snapshot().totals).toMatchObject({ calls: 1, failed: 1 })
    expect(breaker.activeCalls).toBe(0)
  })
})

describe('checks.ownOptions (the adapters’ own-property reading)', () => {
  it('copies own members into a record without a prototype, refusing an own __proto__', async () => {
    const { checks } = await import('@tripswitch/core/adapter')
    const copy = checks.ownOptions({ a: 1, b: undefined })
    expect(Object.getPrototypeOf(copy)).toBeNull()
    expect(Object.keys(copy)).toEqual(['a', 'b'])
    const smuggled = JSON.parse('{"__proto__": {"timeout": 1}}')
    expect(invalid(() => checks.ownOptions(smuggled, 'circuitBreaker.')).option).toBe(
      'circuitBreaker.__proto__',
    )
    const proto = Object.prototype as Record<string, unknown>
    proto.timeout = 1
    try {
      expect(checks.ownValue({}, 'timeout')).toBeUndefined()
      expect(checks.ownOptions({}).timeout).toBeUndefined()
    } finally {
      delete proto.timeout
    }
  })
})

describe('checks.ownOptionsWithout and checks.breakerKey (adapter inputs)', () => {
  it('leaves out the adapter’s own keys and still refuses an own __proto__', async () => {
    const { checks } = await import('@tripswitch/core/adapter')
    const rest = checks.ownOptionsWithout({ key: () => 'k', timeout: 5, onOpen: 1 }, [
      'key',
      'onOpen',
    ])
    expect(Object.getPrototypeOf(rest)).toBeNull()
    expect(Object.keys(rest)).toEqual(['timeout'])
    const smuggled = JSON.parse('{"key": 1, "__proto__": {"timeout": 1}}')
    expect(invalid(() => checks.ownOptionsWithout(smuggled, ['key'])).option).toBe('__proto__')
  })

  it('takes a non-empty string of at most 256 characters as a key, names `key` otherwise', async () => {
    const { checks } = await import('@tripswitch/core/adapter')
    expect(checks.breakerKey('tenant-1')).toBe('tenant-1')
    for (const bad of ['', 'x'.repeat(257), 42, null, undefined, { toString: () => 'k' }]) {
      const error = invalid(() => checks.breakerKey(bad))
      expect(error.option).toBe('key')
      expect(error.message.length).toBeLessThan(400)
    }
  })
})
