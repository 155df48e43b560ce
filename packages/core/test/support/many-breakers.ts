import {
  CircuitBreaker,
  type CircuitBreakerOptions,
  CircuitBreakerRegistry,
  type CircuitState,
  type Clock,
  isCircuitOpenError,
  isCircuitTimeoutError,
} from '@tripswitch/core'

/**
 * A workload for the resource test (nothing left running once every call settled): many breakers,
 * created through a registry and standalone, each used with successes and failures; some trip
 * open, some run with a timeout that is cleared, a few with a timeout that fires. Used in the
 * test process and in a child process that must exit on its own afterwards.
 */

/** How one breaker is set up and used. */
type Kind = 'plain' | 'trips' | 'timeout' | 'timeoutFires' | 'window' | 'rate'

interface Plan {
  readonly options: Omit<CircuitBreakerOptions, 'name' | 'store' | 'clock'>
  /** State expected once the workload is done. */
  readonly state: CircuitState
  /** Calls expected to be rejected with CircuitOpenError. */
  readonly rejected: number
  /** Calls expected to fail with CircuitTimeoutError. */
  readonly timedOut: number
}

// Long enough that a timer left behind would hold the process far beyond the test's patience.
const LONG_TIMEOUT_MS = 60_000
const SHORT_TIMEOUT_MS = 5

const PLANS: { readonly [K in Kind]: Plan } = {
  plain: { options: {}, state: 'closed', rejected: 0, timedOut: 0 },
  trips: { options: { errorThreshold: 1 }, state: 'open', rejected: 2, timedOut: 0 },
  timeout: { options: { timeout: LONG_TIMEOUT_MS }, state: 'closed', rejected: 0, timedOut: 0 },
  timeoutFires: {
    options: { timeout: SHORT_TIMEOUT_MS, errorThreshold: 1 },
    state: 'open',
    rejected: 1,
    timedOut: 1,
  },
  window: {
    options: { strategy: 'window', errorThreshold: 2, windowMs: 60_000 },
    state: 'open',
    rejected: 1,
    timedOut: 0,
  },
  rate: {
    options: { strategy: 'rate', windowSize: 4, minimumCalls: 2, timeout: LONG_TIMEOUT_MS },
    state: 'open',
    rejected: 1,
    timedOut: 0,
  },
}

function kindOf(i: number): Kind {
  if (i % 50 === 7) return 'timeoutFires'
  const kinds: Kind[] = ['plain', 'trips', 'timeout', 'window', 'rate']
  return kinds[i % kinds.length]!
}

/** Totals of one run of the workload, compared with what the plans predict. */
export interface WorkloadReport {
  readonly breakers: number
  readonly registrySize: number
  readonly registryOpen: number
  /** Breakers whose `activeCalls` is not 0 after the workload. */
  readonly busy: number
  /** Breakers whose state differs from the one planned. */
  readonly wrongState: number
  readonly rejected: number
  readonly expectedRejected: number
  readonly timedOut: number
  readonly expectedTimedOut: number
  readonly states: Record<string, number>
}

export interface WorkloadResult {
  readonly report: WorkloadReport
  readonly breakers: CircuitBreaker[]
  readonly registry: CircuitBreakerRegistry
}

/** A call that answers after a macrotask, or as soon as its signal aborts. */
function slowCall(signal: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('late'), 30)
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        resolve('aborted')
      },
      { once: true },
    )
  })
}

async function use(
  breaker: CircuitBreaker,
  kind: Kind,
  tally: { rejected: number; timedOut: number },
) {
  const attempt = async (fn: (signal: AbortSignal) => unknown) => {
    try {
      await breaker.execute(fn)
    } catch (error) {
      if (isCircuitOpenError(error)) tally.rejected++
      else if (isCircuitTimeoutError(error)) tally.timedOut++
    }
  }
  await attempt(() => 'ok')
  await attempt(async () => 'ok')
  // An ignored call through a bare permit.
  const permit = await breaker.acquire()
  permit.ignore()
  if (kind === 'timeoutFires') {
    await attempt(slowCall)
  } else {
    await attempt(() => {
      throw new Error('down')
    })
    await attempt(async () => {
      throw new Error('down again')
    })
  }
  // Open breakers reject this one without calling it.
  await attempt(() => 'after')
}

/**
 * Creates `count` breakers through a registry (maxBreakers 20,000) and `count` standalone ones,
 * uses all of them concurrently and reports what happened.
 */
export async function useManyBreakers(count: number, clock?: Clock): Promise<WorkloadResult> {
  const registry = new CircuitBreakerRegistry({ maxBreakers: 20_000, clock })
  let transitions = 0
  registry.on('stateChange', () => transitions++)
  const planned: Array<{ breaker: CircuitBreaker; kind: Kind }> = []
  for (let i = 0; i < count; i++) {
    const kind = kindOf(i)
    planned.push({ breaker: registry.get(`registry-${i}`, PLANS[kind].options), kind })
  }
  for (let i = 0; i < count; i++) {
    const kind = kindOf(i)
    const breaker = new CircuitBreaker({ ...PLANS[kind].options, name: `standalone-${i}`, clock })
    breaker.on('failure', () => {})
    planned.push({ breaker, kind })
  }
  const tally = { rejected: 0, timedOut: 0 }
  await Promise.all(planned.map(({ breaker, kind }) => use(breaker, kind, tally)))

  const states: Record<string, number> = {}
  let busy = 0
  let wrongState = 0
  let expectedRejected = 0
  let expectedTimedOut = 0
  for (const { breaker, kind } of planned) {
    states[breaker.state] = (states[breaker.state] ?? 0) + 1
    if (breaker.activeCalls !== 0) busy++
    if (breaker.state !== PLANS[kind].state) wrongState++
    expectedRejected += PLANS[kind].rejected
    expectedTimedOut += PLANS[kind].timedOut
  }
  const registryOpen = registry.listOpen().length
  const report: WorkloadReport = {
    breakers: planned.length,
    registrySize: registry.size,
    registryOpen,
    busy,
    wrongState,
    rejected: tally.rejected,
    expectedRejected,
    timedOut: tally.timedOut,
    expectedTimedOut,
    states,
  }
  if (transitions < registryOpen) throw new Error('registry stateChange events went missing')
  return { report, breakers: planned.map((p) => p.breaker), registry }
}
