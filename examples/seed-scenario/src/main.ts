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
  })
}
