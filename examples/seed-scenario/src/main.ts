import { systemClock } from '@tripswitch/core'
import { runSeedScenario } from './scenario.ts'
import { DEFAULT_VARIANT, isVariantName, loadVariant, VARIANT_NAMES } from './variants.ts'

// `npm run demo` (axios) or `npm run seed:<adapter>`: the seed scenario on the real clock, with
// the in-memory store. Nothing to set up: the upstream and the servers start on free ports.
const requested = process.argv[2] ?? DEFAULT_VARIANT

if (!isVariantName(requested)) {
  console.error(
    `Unknown adapter "${requested}". Choose one of: ${VARIANT_NAMES.join(', ')} ` +
      `(no argument runs ${DEFAULT_VARIANT}).`,
  )
  process.exitCode = 1
} else {
  await runSeedScenario(await loadVariant(requested), {
    clock: systemClock,
    wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    log: (line) => console.log(line),
    dashboard: true,
    // In a terminal the page stays up after the run, for a look at the timeline and chart.
    beforeClose: process.stdout.isTTY ? holdUntilInterrupted : undefined,
  })
}

/** Resolves on Ctrl-C, so the dashboard can still be read once the scenario has ended. */
function holdUntilInterrupted(): Promise<void> {
  console.log('scenario over; the dashboard stays up until you press Ctrl-C')
  return new Promise((resolve) => process.once('SIGINT', () => resolve()))
}
