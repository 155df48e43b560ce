/**
 * Scenario 2: a closed breaker around a call that fails every other time. Thresholds are set
 * so that no breaker can open; every breaker's state is asserted at the end, and the run fails
 * loudly if one opened (its numbers would then measure rejections, not failures).
 */
import { type BenchConfig, inProcessClock, measure, pairedRatio, scaledOps } from './harness.ts'
import { assertState, cockatiel, LIBRARIES, opossum, stateOf, tripswitch } from './libraries.ts'
import { formatRatio, type Scenario, timingTable } from './report.ts'

const OPS = 40_000
const TARGET_RATIO = 1.5
const NEVER = 1_000_000_000
const RECOVERY = 600_000

// One preallocated error: the cost of capturing a stack trace per call would otherwise swamp
// the breaker's overhead and flatter every ratio.
const boom = new Error('boom')
let calls = 0
/** Resolves, rejects, resolves, ... (op counts are even, so every contender sees 50 %). */
const flaky = async (): Promise<number> => {
  if ((calls++ & 1) === 0) return 1
  throw boom
}

export const closedFailing: Scenario = {
  id: 'failing',
  title: 'closed, 50 % failing',
  async run(config: BenchConfig) {
    // Long recovery timeouts: a breaker that opened could not quietly close again before the
    // assertions below.
    const ts = tripswitch({ name: 'failing', errorThreshold: NEVER, recoveryTimeout: RECOVERY })
    // errorThresholdPercentage 100 can never be exceeded (the rule is `rate > threshold`), and
    // the volume threshold keeps the rule from even being evaluated.
    const op = opossum(flaky, {
      errorThresholdPercentage: 100,
      volumeThreshold: Number.MAX_SAFE_INTEGER,
      resetTimeout: RECOVERY,
      // With rolling percentiles on (the default), every failure concatenates and sorts the
      // latencies of the whole rolling window: O(calls in the last 10 s) per failure, which
      // here reaches milliseconds per call. Off, opossum is measured at its best.
      rollingPercentilesEnabled: false,
    })
    const ck = cockatiel(NEVER, RECOVERY)
    // Opening listeners cost nothing until they fire. (Tripswitch gets none: a listener turns
    // on per-call events, which would change what is measured; its generation is checked.)
    let openings = 0
    op.on('open', () => openings++)
    const onBreak = ck.onBreak(() => openings++)

    const samples = await measure(
      [
        {
          name: 'bare try { await fn() } catch',
          async run(n) {
            for (let i = 0; i < n; i++) {
              try {
                await flaky()
              } catch {}
            }
          },
        },
        {
          name: `${LIBRARIES.tripswitch} execute`,
          async run(n) {
            for (let i = 0; i < n; i++) {
              try {
                await ts.execute(flaky)
              } catch {}
            }
          },
        },
        {
          name: `${LIBRARIES.opossum} fire (no percentiles)`,
          async run(n) {
            for (let i = 0; i < n; i++) {
              try {
                await op.fire()
              } catch {}
            }
          },
        },
        {
          name: `${LIBRARIES.cockatiel} execute`,
          async run(n) {
            for (let i = 0; i < n; i++) {
              try {
                await ck.execute(flaky)
              } catch {}
            }
          },
        },
      ],
      {
        rounds: config.rounds,
        warmupRounds: config.warmupRounds,
        clock: inProcessClock(),
        ops: scaledOps(OPS, config),
      },
    )

    assertState(this.id, LIBRARIES.tripswitch, stateOf.tripswitch(ts), 'closed')
    assertState(this.id, LIBRARIES.opossum, stateOf.opossum(op), 'closed')
    assertState(this.id, LIBRARIES.cockatiel, stateOf.cockatiel(ck), 'closed')
    const snapshot = ts.snapshot()
    if (snapshot.generation !== 0 || openings !== 0) {
      throw new Error(
        `[failing] a breaker opened during the scenario (tripswitch generation ${snapshot.generation}, others ${openings})`,
      )
    }
    if (snapshot.failures === 0 || snapshot.successes === 0)
      throw new Error('[failing] tripswitch saw no mix of outcomes')
    onBreak.dispose()
    op.shutdown()

    const ratio = pairedRatio(samples[1]!, samples[0]!)
    return {
      tables: [
        timingTable(
          '2. Closed circuit, fn alternates resolve / reject (preallocated Error), thresholds never reached',
          samples,
          'ns',
          samples[0],
          'All breakers asserted closed after the scenario.',
        ),
      ],
      checks: [
        {
          label: `closed, 50 % failing ≤ ${TARGET_RATIO}× bare failing call`,
          actual: formatRatio(ratio),
          pass: ratio <= TARGET_RATIO,
        },
      ],
    }
  },
}
