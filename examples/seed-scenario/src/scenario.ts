import type { Clock } from '@tripswitch/core'
import { serveDashboard } from './dashboard.ts'
import {
  CALLS_AFTER_CLOSE,
  ERROR_THRESHOLD,
  MAX_CALLS_TO_OPEN,
  RECOVERY_TIMEOUT_MS,
} from './settings.ts'
import { type FlakyUpstream, startFlakyUpstream } from './upstream.ts'
import type { CircuitTransition, CircuitView, GuardedOffer, Variant } from './variant.ts'

/** How the scenario waits and reports: the demo waits for real, the test moves a fake clock. */
export interface ScenarioIo {
  readonly clock: Clock
  wait(ms: number): Promise<void> | void
  log(line: string): void
  /** Serves the live status page while the scenario runs and logs its URL. @default false */
  readonly dashboard?: boolean
  /** Awaited once the scenario is over, before the servers close (the demo may keep the page up). */
  readonly beforeClose?: () => Promise<void>
}

/** How a call ended, judged from the answer and from whether the upstream saw a request. */
export type CallOutcome = 'succeeded' | 'failed' | 'refused'

/** One call of the scenario and the circuit right after it. */
export interface ScenarioStep extends CircuitView {
  /** `call 1`, `call 2`, ... */
  readonly label: string
  readonly upstreamOn: boolean
  readonly outcome: CallOutcome
  /** What the caller saw, e.g. `HTTP 503 ERR_CIRCUIT_OPEN`. */
  readonly answer: string
  /** Whether this call reached the upstream (a refused call must not). */
  readonly reachedUpstream: boolean
}

/** What the scenario did, for the summary and the tests. */
export interface ScenarioReport {
  readonly steps: ScenarioStep[]
  /** Requests the upstream received in total. */
  readonly upstreamHits: number
  /** Milliseconds (on the scenario's clock) spent waiting for the probe. */
  readonly waitedMs: number
  /** Every transition of the breaker, in order. */
  readonly transitions: CircuitTransition[]
}

/** The phrase printed for every call: `circuit state: open. Time till probe: 6.0`. */
export function describeCircuit({ state, retryAfterMs }: CircuitView): string {
  return `circuit state: ${state}. Time till probe: ${(retryAfterMs / 1000).toFixed(1)}`
}

const LABEL_WIDTH = 8

/**
 * One line per call, in columns: `call 3   failed    upstream hit      HTTP 502   circuit
 * state: open. Time till probe: 6.0`. The last column is the phrase the issue asks for.
 */
function formatStep(step: ScenarioStep): string {
  const reached = step.reachedUpstream ? 'upstream hit' : 'upstream spared'
  return [
    step.label.padEnd(LABEL_WIDTH),
    step.outcome.padEnd(9),
    reached.padEnd(15),
    step.answer.padEnd(37),
    describeCircuit(step),
  ].join(' ')
}

/**
 * The seed scenario, the same for every adapter: upstream OFF; calls fail until the circuit
 * opens (after exactly 3 failures); a call while open is refused without reaching the
 * upstream; 6 s later the upstream is ON and the probe closes the circuit; 10 more calls succeed.
 * Everything it started is closed at the end, so the process exits on its own.
 */
export async function runSeedScenario(variant: Variant, io: ScenarioIo): Promise<ScenarioReport> {
  const upstream = await startFlakyUpstream()
  try {
    const offer = await variant.start({ upstreamUrl: upstream.url, clock: io.clock })
    const page = io.dashboard === true ? await serveDashboard(offer.registry) : undefined
    try {
      io.log(variant.description)
      if (page !== undefined) io.log(`dashboard: ${page.url} (open it to watch the circuit live)`)
      const report = await play(offer, upstream, io)
      await io.beforeClose?.()
      return report
    } finally {
      await page?.close()
      await offer.close()
    }
  } finally {
    await upstream.close()
  }
}

async function play(
  offer: GuardedOffer,
  upstream: FlakyUpstream,
  io: ScenarioIo,
): Promise<ScenarioReport> {
  const steps: ScenarioStep[] = []
  const transitions: CircuitTransition[] = []
  offer.onTransition(({ from, to }) => {
    transitions.push({ from, to })
    io.log(`${''.padEnd(LABEL_WIDTH)} ~ transition: ${from} -> ${to}`)
  })
  const call = async () => {
    const hitsBefore = upstream.hits
    const { ok, answer } = await offer.call()
    // The upstream's own count is the ground truth of "refused": nothing reached it.
    const reachedUpstream = upstream.hits > hitsBefore
    const outcome: CallOutcome = ok ? 'succeeded' : reachedUpstream ? 'failed' : 'refused'
    const label = `call ${steps.length + 1}`
    const step = { label, upstreamOn: upstream.isUp, outcome, answer, reachedUpstream }
    const recorded = { ...step, ...offer.circuit() }
    steps.push(recorded)
    io.log(formatStep(recorded))
  }

  io.log(
    `breaker: errorThreshold ${ERROR_THRESHOLD}, ` +
      `recoveryTimeout ${RECOVERY_TIMEOUT_MS / 1000} s, in-memory store`,
  )
  io.log(`upstream ${upstream.url} is OFF (answers 503)`)
  while (offer.circuit().state !== 'open') {
    if (steps.length === MAX_CALLS_TO_OPEN) {
      throw new Error(`the circuit did not open after ${MAX_CALLS_TO_OPEN} failures`)
    }
    await call()
  }
  await call() // refused: the circuit is open

  io.log(`waiting ${RECOVERY_TIMEOUT_MS / 1000} s for the probe...`)
  const waitStart = io.clock.now()
  // Wait in steps until the breaker itself says a probe is due, so that a timer firing a
  // millisecond early on the real clock cannot turn the probe into a refusal. The core has no
  // timers: the read that finds the open time over moves the circuit to half_open.
  for (let left = offer.circuit().retryAfterMs; left > 0; left = offer.circuit().retryAfterMs) {
    await io.wait(Math.min(1_000, left))
    const waited = ((io.clock.now() - waitStart) / 1000).toFixed(1)
    io.log(`  ${waited} s waited, ${describeCircuit(offer.circuit())}`)
  }
  const waitedMs = io.clock.now() - waitStart

  upstream.setUp(true)
  io.log(`upstream is ON (answers 200); call ${steps.length + 1} is the probe`)
  await call()
  for (let n = 1; n <= CALLS_AFTER_CLOSE; n++) await call()

  const count = (outcome: CallOutcome) => steps.filter((s) => s.outcome === outcome).length
  io.log(
    `summary: ${steps.length} calls, ${count('failed')} failed, ${count('refused')} refused, ` +
      `${count('succeeded')} succeeded; the upstream received ${upstream.hits} requests ` +
      `(${steps.length} calls minus the ${count('refused')} refused)`,
  )
  return { steps, upstreamHits: upstream.hits, waitedMs, transitions }
}
