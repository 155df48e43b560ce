import { CircuitBreaker, type Clock, isCircuitOpenError } from '@tripswitch/core'
import { startFlakyUpstream } from './upstream.ts'

/** How the scenario waits and reports; the demo waits for real, the test moves a fake clock. */
export interface ScenarioIo {
  readonly clock: Clock
  wait(ms: number): Promise<void> | void
  log(line: string): void
}

/** One printed step: what happened and the breaker's state afterwards. */
export interface ScenarioStep {
  readonly action: string
  readonly outcome: string
  readonly state: string
  readonly retryAfterMs: number
}

/**
 * The seed scenario: upstream OFF, 3 failures open the circuit, calls are refused without
 * reaching the upstream, a probe is allowed 6 s later, the upstream is back ON, the probe
 * succeeds and the circuit closes.
 */
export async function runSeedScenario(io: ScenarioIo): Promise<ScenarioStep[]> {
  const upstream = await startFlakyUpstream()
  const breaker = new CircuitBreaker({
    name: 'offer-upstream',
    errorThreshold: 3,
    recoveryTimeout: 6_000,
    clock: io.clock,
  })
  breaker.on('stateChange', ({ from, to }) => io.log(`  ~ circuit ${from} -> ${to}`))
  const steps: ScenarioStep[] = []
  const call = async (action: string) => {
    const outcome = await breaker
      .execute(async (signal) => {
        const response = await fetch(upstream.url, { signal })
        if (!response.ok) throw new Error(`upstream answered ${response.status}`)
        return `upstream answered ${response.status}`
      })
      .catch((error: unknown) =>
        isCircuitOpenError(error) ? 'refused: circuit open' : `failed: ${(error as Error).message}`,
      )
    const step = { action, outcome, state: breaker.state, retryAfterMs: breaker.retryAfterMs }
    steps.push(step)
    io.log(
      `${action.padEnd(24)} ${outcome.padEnd(28)} state=${step.state.padEnd(9)} next probe in ${(step.retryAfterMs / 1000).toFixed(1)} s`,
    )
  }
  try {
    io.log('upstream is OFF')
    for (let i = 1; i <= 3; i++) await call(`call ${i}`)
    await call('call 4')
    for (let waited = 0; waited < 6_000; waited += 3_000) {
      await io.wait(3_000)
      io.log(
        `${`after ${(waited + 3_000) / 1000} s`.padEnd(53)} state=${breaker.state.padEnd(9)} next probe in ${(breaker.retryAfterMs / 1000).toFixed(1)} s`,
      )
    }
    io.log('upstream is ON')
    upstream.setUp(true)
    await call('probe')
    await call('call 5')
    io.log(`upstream received ${upstream.hits} requests (the refused call never reached it)`)
  } finally {
    await upstream.close()
  }
  return steps
}
