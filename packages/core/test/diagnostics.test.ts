import dc from 'node:diagnostics_channel'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  type CallEndMessage,
  type CallStartMessage,
  CircuitBreaker,
  DIAGNOSTICS_CHANNELS,
  type RejectMessage,
  type TransitionMessage,
} from '../src/index.ts'
import { FakeClock } from '../src/testing/index.ts'

const unsubscribers: Array<() => void> = []

/** Subscribes to `name` through node:diagnostics_channel; the test ends unsubscribed. */
function listen<T>(name: string): T[] {
  const seen: T[] = []
  const onMessage = (message: unknown) => seen.push(message as T)
  dc.subscribe(name, onMessage)
  unsubscribers.push(() => dc.unsubscribe(name, onMessage))
  return seen
}

afterEach(() => {
  for (const off of unsubscribers.splice(0)) off()
})

function breaker(clock = new FakeClock(1_000)): CircuitBreaker {
  return new CircuitBreaker({ name: 'payments', errorThreshold: 2, recoveryTimeout: 5_000, clock })
}

const fail = () => Promise.reject(new Error('down'))

describe('diagnostics_channel', () => {
  it('uses the documented channel names', () => {
    expect(DIAGNOSTICS_CHANNELS).toEqual({
      transition: 'tripswitch:transition',
      reject: 'tripswitch:reject',
      callStart: 'tripswitch:call:start',
      callEnd: 'tripswitch:call:end',
    })
  })

  it('publishes transitions, with the reason and the deadline when the circuit opens', async () => {
    const seen = listen<TransitionMessage>('tripswitch:transition')
    const clock = new FakeClock(1_000)
    const b = breaker(clock)
    await expect(b.execute(fail)).rejects.toThrow('down')
    await expect(b.execute(fail)).rejects.toThrow('down')
    clock.advance(5_000)
    expect(b.state).toBe('half_open')
    await b.execute(() => 'ok')
    expect(
      seen.map(({ from, to, reason, openUntil }) => ({ from, to, reason, openUntil })),
    ).toEqual([
      { from: 'closed', to: 'open', reason: 'threshold', openUntil: 6_000 },
      { from: 'open', to: 'half_open', reason: undefined, openUntil: null },
      { from: 'half_open', to: 'closed', reason: undefined, openUntil: null },
    ])
    expect(seen.every((m) => m.name === 'payments' && m.breaker === b)).toBe(true)
  })

  it('publishes a refusal with the state and the time left', async () => {
    const seen = listen<RejectMessage>('tripswitch:reject')
    const clock = new FakeClock(1_000)
    const b = breaker(clock)
    b.forceOpen()
    await expect(b.execute(() => 'never')).rejects.toMatchObject({ code: 'ERR_CIRCUIT_OPEN' })
    b.reset()
    await expect(b.execute(fail)).rejects.toThrow()
    await expect(b.execute(fail)).rejects.toThrow()
    clock.advance(1_500)
    await expect(b.execute(() => 'never')).rejects.toMatchObject({ code: 'ERR_CIRCUIT_OPEN' })
    expect(
      seen.map(({ state, retryAfterMs, shadow }) => ({ state, retryAfterMs, shadow })),
    ).toEqual([
      { state: 'forced_open', retryAfterMs: 0, shadow: false },
      { state: 'open', retryAfterMs: 3_500, shadow: false },
    ])
    expect(seen[1]?.error).toMatchObject({ code: 'ERR_CIRCUIT_OPEN', circuit: 'payments' })
  })

  it('publishes the start and end of calls, durations measured on the breaker clock', async () => {
    const starts = listen<CallStartMessage>('tripswitch:call:start')
    const ends = listen<CallEndMessage>('tripswitch:call:end')
    const clock = new FakeClock(1_000)
    const b = breaker(clock)
    await b.execute(async () => {
      expect(starts).toHaveLength(1)
      expect(ends).toHaveLength(0)
      clock.advance(42)
      return 'ok'
    })
    const permit = await b.acquire()
    clock.advance(7)
    permit.failure(new Error('boom'))
    expect(starts.map((m) => m.name)).toEqual(['payments', 'payments'])
    expect(ends.map(({ outcome, durationMs }) => ({ outcome, durationMs }))).toEqual([
      { outcome: 'success', durationMs: 42 },
      { outcome: 'failure', durationMs: 7 },
    ])
    expect(ends[1]?.error).toBeInstanceOf(Error)
  })

  it('stops publishing once unsubscribed, and a breaker goes back to its unobserved path', async () => {
    const seen: unknown[] = []
    const onMessage = (m: unknown) => seen.push(m)
    dc.subscribe('tripswitch:call:end', onMessage)
    const b = breaker()
    await b.execute(() => 1)
    expect(dc.unsubscribe('tripswitch:call:end', onMessage)).toBe(true)
    await b.execute(() => 2)
    await expect(b.execute(fail)).rejects.toThrow()
    expect(seen).toHaveLength(1)
    expect(b.snapshot().totals).toMatchObject({ calls: 3, successful: 2, failed: 1 })
  })

  it('keeps a call working when a subscriber throws', async () => {
    const warnings: Error[] = []
    const onWarning = (w: Error) => warnings.push(w)
    process.on('uncaughtException', onWarning)
    listen('tripswitch:call:start')
    const thrower = () => {
      throw new Error('subscriber bug')
    }
    dc.subscribe('tripswitch:call:start', thrower)
    unsubscribers.push(() => dc.unsubscribe('tripswitch:call:start', thrower))
    try {
      await expect(breaker().execute(() => 'still fine')).resolves.toBe('still fine')
      // diagnostics_channel reports a throwing subscriber on the next tick, never to the caller.
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings.map((w) => w.message)).toEqual(['subscriber bug'])
    } finally {
      process.off('uncaughtException', onWarning)
    }
  })

  it('publishes nothing and still works where there is no diagnostics_channel (browsers)', async () => {
    const proc = process as { getBuiltinModule?: unknown }
    const original = proc.getBuiltinModule
    delete proc.getBuiltinModule
    vi.resetModules()
    try {
      const diagnostics = await import('../src/diagnostics.ts')
      expect(diagnostics.transitionChannel).toBeUndefined()
      expect(diagnostics.callEndChannel).toBeUndefined()
      const core = await import('../src/index.ts')
      const seen = listen('tripswitch:transition')
      const b = new core.CircuitBreaker({ name: 'no-node', errorThreshold: 1 })
      await expect(b.execute(fail)).rejects.toThrow('down')
      expect(b.state).toBe('open')
      await expect(b.execute(() => 1)).rejects.toMatchObject({ code: 'ERR_CIRCUIT_OPEN' })
      expect(seen).toEqual([])
    } finally {
      proc.getBuiltinModule = original
      vi.resetModules()
    }
  })
})
