import { isDeepStrictEqual } from 'node:util'
import {
  CircuitBreaker,
  isCircuitBusyError,
  isCircuitOpenError,
  type Outcome,
  type Permit,
} from '@tripswitch/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../src/testing/fake-clock.ts'
import {
  BreakerModel,
  breakerOptions,
  type ModelConfig,
  type ModelRefusal,
  rejectLine,
} from './support/breaker-model.ts'
import { consecutiveConfig, RECOVERY_TIMEOUT, rateConfig } from './support/model-arbitraries.ts'

/**
 * Model-based test of the local breaker: in-flight calls are separate `start` / `settle`
 * commands, so any number of calls overlap, settle in any order and outlive transitions; `tick`
 * moves an injected clock. Runs draw the strategy options, backoff, probe-by-probe or sampled
 * half-open, a bulkhead (`maxConcurrent`) and enforce or shadow mode. After every command the
 * real breaker must agree with the model on admissions (exactly: admitted or refused, probe or
 * not, the refusal's error and fields), state, retryAfterMs, the whole snapshot (mode and totals
 * included) and the log of stateChange and reject events.
 */

// MODEL_RUNS overrides (e.g. 100_000 for a nightly run); CI runs 2,000 (about 15 s).
const NUM_RUNS = Number(process.env.MODEL_RUNS ?? (process.env.CI ? 2_000 : 200))
const MAX_COMMANDS = 100
// About 4 ms a run; leave room for slow machines and large MODEL_RUNS.
const TIMEOUT_MS = Math.max(120_000, NUM_RUNS * 20)

interface RealPermit {
  readonly permit: Permit
  /** Generation of the circuit right after the permit was granted. */
  readonly generation: number
  readonly admittedAt: number
}

interface Real {
  readonly breaker: CircuitBreaker
  readonly clock: FakeClock
  /** In-flight permits, in the same order as the model's. */
  readonly permits: RealPermit[]
  /** stateChange events as `from->to`, and reject events (see {@link rejectLine}), in order. */
  readonly events: string[]
}

type BreakerCommand = fc.AsyncCommand<BreakerModel, Real>

/** `expect(actual).toEqual(expected)`, with a cheap comparison first (it runs ~10^5 times). */
function expectEqual(actual: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(actual, expected)) expect(actual).toEqual(expected)
}

function expectAgreement(m: BreakerModel, r: Real): void {
  const snapshot = r.breaker.snapshot()
  expectEqual(snapshot, m.snapshot())
  expect(r.breaker.state).toBe(m.state)
  expect(r.breaker.retryAfterMs).toBe(m.retryAfterMs)
  expect(r.breaker.activeCalls).toBe(m.inFlight.length)
  expectEqual(r.events, m.events)
  // Independent of the model: probes of this half-open period whose lease is still running
  // never outnumber halfOpenMaxCalls (an expired lease is what frees a slot held by a lost probe).
  if (snapshot.state === 'half_open') {
    const now = r.clock.now()
    const live = r.permits.filter(
      (p) =>
        p.permit.probe && p.generation === snapshot.generation && p.admittedAt + m.leaseMs > now,
    ).length
    expect(live).toBeLessThanOrEqual(m.config.halfOpenMaxCalls)
  }
}

/**
 * A refusal in the model's terms (the guards check the code), or undefined for anything else,
 * a refusal naming another circuit included. Pure: it also runs in listeners, whose throws the
 * breaker swallows.
 */
function refusalOf(error: unknown): ModelRefusal | undefined {
  if (isCircuitBusyError(error) && error.circuit === 'model') {
    return { code: 'ERR_CIRCUIT_BUSY', maxConcurrent: error.maxConcurrent }
  }
  if (isCircuitOpenError(error) && error.circuit === 'model') {
    return { code: 'ERR_CIRCUIT_OPEN', state: error.state, retryAfterMs: error.retryAfterMs }
  }
  return undefined
}

class StartCommand implements BreakerCommand {
  /** `tryAcquire()` instead of `acquire()`: same decisions, a permit returned at once. */
  constructor(private readonly eager = false) {}

  check(): boolean {
    return true
  }

  async run(m: BreakerModel, r: Real): Promise<void> {
    const predicted = m.start()
    let permit: Permit | undefined
    let error: unknown
    try {
      permit = this.eager ? await r.breaker.tryAcquire() : await r.breaker.acquire()
    } catch (caught) {
      error = caught
    }
    if (predicted.admitted) {
      if (permit === undefined) throw new Error(`expected a permit, got ${String(error)}`)
      expect(permit.probe).toBe(predicted.permit.probe)
      const generation = r.breaker.snapshot().generation
      r.permits.push({ permit, generation, admittedAt: r.clock.now() })
    } else {
      expect(permit).toBeUndefined()
      expectEqual(refusalOf(error), predicted.refusal)
    }
    expectAgreement(m, r)
  }

  toString(): string {
    return this.eager ? 'tryStart' : 'start'
  }
}

class SettleCommand implements BreakerCommand {
  constructor(
    readonly index: number,
    readonly outcome: Outcome,
  ) {}

  check(m: Readonly<BreakerModel>): boolean {
    return m.inFlight.length > 0
  }

  async run(m: BreakerModel, r: Real): Promise<void> {
    const n = m.inFlight.length
    // A negative index counts from the newest call (the probes of the current half-open phase).
    const at = this.index >= 0 ? this.index % n : n - 1 - ((-this.index - 1) % n)
    m.settle(at, this.outcome)
    const [settled] = r.permits.splice(at, 1)
    if (settled === undefined) throw new Error(`the real side has no in-flight call at ${at}`)
    if (this.outcome === 'success') settled.permit.success()
    else if (this.outcome === 'failure') settled.permit.failure(new Error('boom'))
    else settled.permit.ignore()
    expectAgreement(m, r)
  }

  toString(): string {
    return `settle(${this.index}, ${this.outcome})`
  }
}

/**
 * Moves the clock. A quiet tick reads nothing afterwards (reading moves an open circuit past its
 * deadline to half_open), so the next call meets the deadline, or the half-open wait, itself.
 */
class TickCommand implements BreakerCommand {
  constructor(
    readonly ms: number,
    readonly quiet: boolean,
  ) {}

  check(): boolean {
    return true
  }

  async run(m: BreakerModel, r: Real): Promise<void> {
    m.tick(this.ms)
    r.clock.advance(this.ms)
    if (!this.quiet) expectAgreement(m, r)
    else expectEqual(r.events, m.events)
  }

  toString(): string {
    return this.quiet ? `quietTick(${this.ms})` : `tick(${this.ms})`
  }
}

type Control = 'forceOpen' | 'disable' | 'reset'

class ControlCommand implements BreakerCommand {
  constructor(readonly action: Control) {}

  check(): boolean {
    return true
  }

  async run(m: BreakerModel, r: Real): Promise<void> {
    m[this.action]()
    r.breaker[this.action]()
    expectAgreement(m, r)
  }

  toString(): string {
    return `${this.action}()`
  }
}

const RT = RECOVERY_TIMEOUT
const outcomeArb = fc.oneof(
  { arbitrary: fc.constant<Outcome>('success'), weight: 9 },
  { arbitrary: fc.constant<Outcome>('failure'), weight: 8 },
  { arbitrary: fc.constant<Outcome>('ignore'), weight: 3 },
)
// Boundaries of the open deadline (RT, and backoff multiples) and of the probe lease (2 RT),
// and short steps that keep a half-open phase (halfOpenMaxWait >= RT / 2) for a few commands.
const tickArb = fc.oneof(
  fc.constantFrom(1, RT - 1, RT, RT + 1, 2 * RT - 1, 2 * RT, 3 * RT, 4 * RT),
  fc.integer({ min: 1, max: 4 * RT + 1 }),
  fc.integer({ min: 1, max: RT / 5 }),
)
// Weighted so that most runs trip and probe: forceOpen and disable hold the circuit until a
// reset, so they stay rare (about one of them every other run).
const commandArb: fc.Arbitrary<BreakerCommand> = fc.oneof(
  { arbitrary: fc.constant(new StartCommand()), weight: 60 },
  { arbitrary: fc.constant(new StartCommand(true)), weight: 20 },
  {
    arbitrary: fc
      .tuple(fc.integer({ min: -4, max: 7 }), outcomeArb)
      .map(([i, outcome]) => new SettleCommand(i, outcome)),
    weight: 80,
  },
  {
    arbitrary: fc.tuple(tickArb, fc.boolean()).map(([ms, quiet]) => new TickCommand(ms, quiet)),
    weight: 32,
  },
  { arbitrary: fc.constant(new ControlCommand('reset')), weight: 4 },
  { arbitrary: fc.constant(new ControlCommand('forceOpen')), weight: 1 },
  { arbitrary: fc.constant(new ControlCommand('disable')), weight: 1 },
)
const commandsArb = fc.commands([commandArb], { size: 'max', maxCommands: MAX_COMMANDS })

async function runModel(config: ModelConfig, commands: Iterable<BreakerCommand>): Promise<void> {
  const setup = () => {
    const clock = new FakeClock(config.start)
    const breaker = new CircuitBreaker(breakerOptions(config, clock))
    const events: string[] = []
    breaker.on('stateChange', ({ from, to }) => events.push(`${from}->${to}`))
    // A listener's throw never reaches the test: anything unexpected is logged as it is, so
    // that the log disagrees with the model's.
    breaker.on('reject', ({ error, shadow }) => {
      const refusal = refusalOf(error)
      if (refusal === undefined) events.push(`reject of ${String(error)}`)
      // Enforce mode leaves `shadow` out, shadow mode sets it to true.
      else if (shadow === undefined || shadow === true) events.push(rejectLine(refusal, !!shadow))
      else events.push(`${rejectLine(refusal, false)} shadow=${shadow}`)
    })
    const model = new BreakerModel(config)
    const real: Real = { breaker, clock, permits: [], events }
    expectAgreement(model, real)
    return { model, real }
  }
  await fc.asyncModelRun(setup, commands)
}

describe('CircuitBreaker against a model', () => {
  it(`consecutive strategy: ${NUM_RUNS} runs of up to ${MAX_COMMANDS} overlapping calls`, {
    timeout: TIMEOUT_MS,
  }, async () => {
    await fc.assert(fc.asyncProperty(consecutiveConfig, commandsArb, runModel), {
      numRuns: NUM_RUNS,
    })
  })

  it(`rate strategy over the last N calls: ${NUM_RUNS} runs`, { timeout: TIMEOUT_MS }, async () => {
    await fc.assert(fc.asyncProperty(rateConfig, commandsArb, runModel), { numRuns: NUM_RUNS })
  })
})
