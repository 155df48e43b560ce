/** Scenario 1: overhead of a closed breaker around a call that always succeeds. */

import { systemClock } from '@tripswitch/core'
import {
  type BenchConfig,
  type Contender,
  inProcessClock,
  measure,
  pairedRatio,
  scaledOps,
} from './harness.ts'
import { assertState, cockatiel, LIBRARIES, opossum, stateOf, tripswitch } from './libraries.ts'
import { formatRatio, type Scenario, timingTable } from './report.ts'

const OPS = 200_000
const OPS_TIMEOUT = 50_000
const TARGET_RATIO = 1.5
/** With a per-call timeout (a timer armed and cleared per call), against the same bare call. */
const TARGET_TIMEOUT_RATIO = 3

/** The same guarded function for every contender. */
const fn = async (): Promise<number> => 1
const tally = { outcomes: 0 }
const counted = (): void => {
  tally.outcomes++
}
const clockTally = { sum: 0 }

export const closedSuccess: Scenario = {
  id: 'closed',
  title: 'closed, always succeeding',
  async run(config: BenchConfig) {
    const ts = tripswitch({ name: 'closed' })
    const tsTimeout = tripswitch({ name: 'closed-timeout', timeout: 10_000 })
    const op = opossum(fn)
    const opTimeout = opossum(fn, { timeout: 10_000 })
    const ck = cockatiel(5)

    const rounds = {
      rounds: config.rounds,
      warmupRounds: config.warmupRounds,
      clock: inProcessClock(),
    }
    const bare: Contender = {
      name: 'bare await fn()',
      async run(n) {
        for (let i = 0; i < n; i++) await fn()
      },
    }
    const samples = await measure(
      [
        bare,
        {
          name: `${LIBRARIES.tripswitch} execute`,
          async run(n) {
            for (let i = 0; i < n; i++) await ts.execute(fn)
          },
        },
        {
          // Information: what any wrapper that learns the outcome without delaying the caller
          // pays at least, one reaction on fn's promise (the breaker's own lean path is this).
          name: 'floor: fn().then(count, count), await',
          async run(n) {
            for (let i = 0; i < n; i++) {
              const promise = fn()
              promise.then(counted, counted)
              await promise
            }
          },
        },
        {
          // Information: the physical floor of the lean design, spelled out. The caller awaits
          // fn's own promise and one side reaction counts the outcome: nothing else is needed.
          name: 'floor: p = fn(); p.then(count, count); await p',
          async run(n) {
            for (let i = 0; i < n; i++) {
              const p = fn()
              p.then(counted, counted)
              await p
            }
          },
        },
        {
          name: `${LIBRARIES.opossum} fire (timeout: false)`,
          async run(n) {
            for (let i = 0; i < n; i++) await op.fire()
          },
        },
        {
          name: `${LIBRARIES.cockatiel} execute`,
          async run(n) {
            for (let i = 0; i < n; i++) await ck.execute(fn)
          },
        },
      ],
      { ...rounds, ops: scaledOps(OPS, config) },
    )
    // Per-call timers cost microseconds: fewer ops, a table of its own.
    const timed = await measure(
      [
        bare,
        {
          name: `${LIBRARIES.tripswitch} execute (timeout: 10 s)`,
          async run(n) {
            for (let i = 0; i < n; i++) await tsTimeout.execute(fn)
          },
        },
        {
          // Information: what any timed call that can reject before fn settles needs at least:
          // one reading of the clock its deadline counts from (the breaker's default clock), a
          // promise of its own to answer with, and fn's answer forwarded into it.
          name: 'floor: clock read + new Promise + fn().then(resolve, reject), await',
          async run(n) {
            for (let i = 0; i < n; i++) {
              clockTally.sum += systemClock.now()
              await new Promise<number>((resolve, reject) => {
                fn().then(resolve, reject)
              })
            }
          },
        },
        {
          name: `${LIBRARIES.opossum} fire (timeout: 10 s, its default)`,
          async run(n) {
            for (let i = 0; i < n; i++) await opTimeout.fire()
          },
        },
      ],
      { ...rounds, ops: scaledOps(OPS_TIMEOUT, config) },
    )

    for (const b of [ts, tsTimeout]) assertState(this.id, b.name, stateOf.tripswitch(b), 'closed')
    for (const b of [op, opTimeout]) assertState(this.id, 'opossum', stateOf.opossum(b), 'closed')
    assertState(this.id, 'cockatiel', stateOf.cockatiel(ck), 'closed')
    op.shutdown()
    opTimeout.shutdown()

    const ratio = pairedRatio(samples[1]!, samples[0]!)
    const timeoutRatio = pairedRatio(timed[1]!, timed[0]!)
    return {
      tables: [
        timingTable(
          '1. Closed circuit, fn = async () => 1',
          samples,
          'ns',
          samples[0],
          `The floor rows are information (the same design, written two ways): one reaction on fn's promise, which any wrapper that counts outcomes without delaying the caller pays (${formatRatio(pairedRatio(samples[2]!, samples[0]!))} and ${formatRatio(pairedRatio(samples[3]!, samples[0]!))} bare here).`,
        ),
        timingTable(
          '1b. Closed circuit with a per-call timeout (a timer per call)',
          timed,
          'ns',
          timed[0],
          `The floor row is information: a clock read, a promise of the call's own and fn's answer forwarded into it, which any timed call that can reject before fn settles pays (${formatRatio(pairedRatio(timed[2]!, timed[0]!))} bare here).`,
        ),
      ],
      checks: [
        {
          label: `closed, no timeout ≤ ${TARGET_RATIO}× bare await fn()`,
          actual: formatRatio(ratio),
          pass: ratio <= TARGET_RATIO,
        },
        {
          label: `closed, per-call timeout ≤ ${TARGET_TIMEOUT_RATIO}× bare await fn()`,
          actual: formatRatio(timeoutRatio),
          pass: timeoutRatio <= TARGET_TIMEOUT_RATIO,
        },
      ],
    }
  },
}
