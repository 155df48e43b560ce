import { CircuitBreaker, isCircuitOpenError, type Outcome, type Permit } from '@tripswitch/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../src/testing/fake-clock.ts'
import { BreakerModel, breakerOptions, type ModelConfig } from './support/breaker-model.ts'

/**
 * Model-based test of the local breaker (research/reliability.md section 3 row 2): in-flight
 * calls are separate `start` / `settle` commands, so any number of calls overlap, settle in any
 * order and outlive transitions; `tick` moves an injected clock. After every command the real
 * breaker must agree with the model on state, admissions (exactly: admitted or rejected, probe or
 * not, and the rejection's state and retryAfterMs), retryAfterMs, the snapshot and the sequence
 * of stateChange events.
 */

const RECOVERY_TIMEOUT = 1_000
// MODEL_RUNS overrides (e.g. 100_000 for a nightly run); CI runs 2,000 (about 10 s).
const NUM_RUNS = Number(process.env.MODEL_RUNS ?? (process.env.CI ? 2_000 : 200))
const MAX_COMMANDS = 100
// About 3 ms a run; leave room for slow machines and large MODEL_RUNS.
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
  /** stateChange events, as `from->to`. */
  readonly transitions: string[]
}

type BreakerCommand = fc.AsyncCommand<BreakerModel, Real>

function expectAgreement(m: BreakerModel, r: Real): void {
  const snapshot = r.breaker.snapshot()
  expect(snapshot).toMatchObject(m.snapshot())
  expect(r.breaker.state).toBe(m.state)
  expect(r.breaker.retryAfterMs).toBe(m.retryAfterMs)
  expect(r.breaker.activeCalls).toBe(m.inFlight.length)
  expect(r.transitions).toEqual(m.transitions)
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

class StartCommand implements BreakerCommand {
  check(): boolean {
    return true
  }

  async run(m: BreakerModel, r: Real): Promise<void> {
    const predicted = m.start()
    let permit: Permit | undefined
    let error: unknown
    try {
      permit = await r.breaker.acquire()
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
      expect(isCircuitOpenError(error)).toBe(true)
      expect(error).toMatchObject({
        code: 'ERR_CIRCUIT_OPEN',
        circuit: 'model',
        state: predicted.state,
        retryAfterMs: predicted.retryAfterMs,
      })
    }
    expectAgreement(m, r)
  }

  toString(): string {
    return 'start'
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
    const at = this.index % m.inFlight.length
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

class TickCommand implements BreakerCommand {
  constructor(readonly ms: number) {}

  check(): boolean {
    return true
  }

  async run(m: BreakerModel, r: Real): Promise<void> {
    m.tick(this.ms)
    r.clock.advance(this.ms)
    expectAgreement(m, r)
  }

  toString(): string {
    return `tick(${this.ms})`
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
// Boundaries of the open deadline (RT, and backoff multiples) and of the probe lease (2 RT).
const tickArb = fc.oneof(
  fc.constantFrom(1, RT - 1, RT, RT + 1, 2 * RT - 1, 2 * RT, 3 * RT, 4 * RT),
  fc.integer({ min: 1, max: 4 * RT + 1 }),
)
// Weighted so that most runs trip and probe: forceOpen and disable hold the circuit until a
// reset, so they stay rare (about one control command per run).
const commandArb: fc.Arbitrary<BreakerCommand> = fc.oneof(
  { arbitrary: fc.constant(new StartCommand()), weight: 40 },
  {
    arbitrary: fc.tuple(fc.nat(7), outcomeArb).map(([i, outcome]) => new SettleCommand(i, outcome)),
    weight: 40,
  },
  { arbitrary: tickArb.map((ms) => new TickCommand(ms)), weight: 16 },
  { arbitrary: fc.constant(new ControlCommand('reset')), weight: 2 },
  { arbitrary: fc.constant(new ControlCommand('forceOpen')), weight: 1 },
  { arbitrary: fc.constant(new ControlCommand('disable')), weight: 1 },
)
const commandsArb = fc.commands([commandArb], { size: 'max', maxCommands: MAX_COMMANDS })

const backoffArb = fc.option(
  fc.record({
    multiplier: fc.constantFrom(2, 3),
    maxRecoveryTimeout: fc.constantFrom(RT, 3 * RT, 4 * RT),
  }),
  { nil: undefined },
)

const shared = {
  start: fc.constantFrom(0, 1_000_000),
  recoveryTimeout: fc.constant(RT),
  backoff: backoffArb,
  recoveryThreshold: fc.integer({ min: 1, max: 3 }),
  halfOpenMaxCalls: fc.integer({ min: 1, max: 3 }),
  // The default (twice the recovery timeout: the probe lease), shorter, and longer than a lease.
  halfOpenMaxWait: fc.constantFrom(2 * RT, RT / 2, 3 * RT),
  afterHalfOpenWait: fc.constantFrom('open' as const, 'closed' as const),
}

const consecutiveConfig: fc.Arbitrary<ModelConfig> = fc.record({
  ...shared,
  strategy: fc.constant('consecutive' as const),
  errorThreshold: fc.integer({ min: 1, max: 4 }),
  windowSize: fc.constant(0),
  minimumCalls: fc.constant(0),
  failureRateThreshold: fc.constant(0),
})

const rateConfig: fc.Arbitrary<ModelConfig> = fc
  .record({
    ...shared,
    strategy: fc.constant('rate' as const),
    errorThreshold: fc.constant(0),
    windowSize: fc.integer({ min: 1, max: 6 }),
    minimumCalls: fc.integer({ min: 1, max: 6 }),
    failureRateThreshold: fc.constantFrom(0.2, 0.5, 0.6, 1),
  })
  .map((c) => ({ ...c, minimumCalls: Math.min(c.minimumCalls, c.windowSize) }))

async function runModel(config: ModelConfig, commands: Iterable<BreakerCommand>): Promise<void> {
  const setup = () => {
    const clock = new FakeClock(config.start)
    const breaker = new CircuitBreaker(breakerOptions(config, clock))
    const transitions: string[] = []
    breaker.on('stateChange', ({ from, to }) => transitions.push(`${from}->${to}`))
    const model = new BreakerModel(config)
    const real: Real = { breaker, clock, permits: [], transitions }
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
