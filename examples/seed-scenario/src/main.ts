import { systemClock } from '@tripswitch/core'
import { runSeedScenario } from './scenario.ts'

// `npm run demo`: the seed scenario on the real clock, with the in-memory state. Nothing to set up.
await runSeedScenario({
  clock: systemClock,
  wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  log: (line) => console.log(line),
})
