/**
 * Child process of resource.test.ts. Run with
 * `node --conditions=@tripswitch/source --import tsx test/support/resource-child.ts [count]`.
 * Uses many breakers with the default (system) clock, then prints one JSON line: the workload
 * report, the timers still pending and the process's active resources. It never calls
 * process.exit: the test checks that it ends on its own. With `leak` as second argument it leaves
 * one timer behind on purpose, so the test can check that its detection works.
 */
import { useManyBreakers } from './many-breakers.ts'
import { trackGlobalTimers } from './timers.ts'

const count = Number(process.argv[2] ?? 10_000)
const timers = trackGlobalTimers()
const { report } = await useManyBreakers(count)
if (process.argv[3] === 'leak') setTimeout(() => {}, 60_000)
// Let anything already due run out before looking (a leaked timer would still show).
await new Promise((resolve) => setImmediate(resolve))
timers.restore()
const resources = process.getActiveResourcesInfo()
process.stdout.write(
  `${JSON.stringify({ report, timers: { pending: timers.pending, scheduled: timers.scheduled, held: timers.held }, resources })}\n`,
)
