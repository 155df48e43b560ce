/**
 * Scenario 3: cost of a call refused by an open circuit, `await execute(fn).catch(() => {})`.
 * Each library appears forced open and, where it differs, tripped open by real failures (a
 * tripped circuit also reads the clock to know whether its recovery timeout has passed).
 */
import { type BenchConfig, inProcessClock, measure, pairedRatio, scaledOps } from './harness.ts'
import { assertState, cockatiel, LIBRARIES, opossum, stateOf, tripswitch } from './libraries.ts'
import { formatRatio, type Scenario, timingTable } from './report.ts'

const OPS = 50_000
/** Against the floor: awaiting an already-rejected promise. */
const TARGET_RATIO = 1.3
// Far longer than the scenario, and below the 2^31-1 ms where timers overflow.
const RECOVERY = 600_000

const fn = async (): Promise<number> => 1
const fail = async (): Promise<number> => {
  throw new Error('trip')
}
const ignore = (): void => {}
const refusal = new Error('refused')

export const openRejection: Scenario = {
  id: 'open',
  title: 'open circuit rejection',
  async run(config: BenchConfig) {
    const tsForced = tripswitch({ name: 'forced', recoveryTimeout: RECOVERY })
    tsForced.forceOpen()
    const tsTripped = tripswitch({ name: 'tripped', errorThreshold: 1, recoveryTimeout: RECOVERY })
    await tsTripped.execute(fail).catch(ignore)
    const op = opossum(fn, { resetTimeout: RECOVERY })
    op.open()
    const ckIsolated = cockatiel(5, RECOVERY)
    const isolation = ckIsolated.isolate()
    const ckTripped = cockatiel(1, RECOVERY)
    await ckTripped.execute(fail).catch(ignore)

    const check = () => {
      assertState(this.id, 'tripswitch forced', stateOf.tripswitch(tsForced), 'forced_open')
      assertState(this.id, 'tripswitch tripped', stateOf.tripswitch(tsTripped), 'open')
      assertState(this.id, LIBRARIES.opossum, stateOf.opossum(op), 'open')
      assertState(this.id, 'cockatiel isolated', stateOf.cockatiel(ckIsolated), 'isolated')
      assertState(this.id, 'cockatiel tripped', stateOf.cockatiel(ckTripped), 'open')
    }
    check()

    const samples = await measure(
      [
        {
          name: 'bare Promise.reject(e).catch()',
          async run(n) {
            for (let i = 0; i < n; i++) await Promise.reject(refusal).catch(ignore)
          },
        },
        {
          name: `${LIBRARIES.tripswitch} forceOpen()`,
          async run(n) {
            for (let i = 0; i < n; i++) await tsForced.execute(fn).catch(ignore)
          },
        },
        {
          name: `${LIBRARIES.tripswitch} tripped`,
          async run(n) {
            for (let i = 0; i < n; i++) await tsTripped.execute(fn).catch(ignore)
          },
        },
        {
          name: `${LIBRARIES.opossum} open()`,
          async run(n) {
            for (let i = 0; i < n; i++) await op.fire().catch(ignore)
          },
        },
        {
          name: `${LIBRARIES.cockatiel} isolate()`,
          async run(n) {
            for (let i = 0; i < n; i++) await ckIsolated.execute(fn).catch(ignore)
          },
        },
        {
          name: `${LIBRARIES.cockatiel} tripped`,
          async run(n) {
            for (let i = 0; i < n; i++) await ckTripped.execute(fn).catch(ignore)
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

    check()
    isolation.dispose()
    op.shutdown()

    const forced = pairedRatio(samples[1]!, samples[0]!)
    const tripped = pairedRatio(samples[2]!, samples[0]!)
    const worst = Math.max(forced, tripped)
    return {
      tables: [
        timingTable(
          '3. Open circuit, await execute(fn).catch(() => {})',
          samples,
          'µs',
          samples[0],
          'Bare = awaiting an already-built rejected promise: the floor of any async refusal.',
        ),
      ],
      checks: [
        {
          label: `open rejection ≤ ${TARGET_RATIO}× awaiting a rejected promise (worse of forced, tripped)`,
          actual: `${formatRatio(worst)} (forced ${formatRatio(forced)}, tripped ${formatRatio(tripped)})`,
          pass: worst <= TARGET_RATIO,
        },
      ],
    }
  },
}
