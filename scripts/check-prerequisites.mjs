// Run first by `npm test`: the Redis tests start their own redis-server, and the dashboard's
// browser tests drive Chromium; without them dozens of tests would fail with a stack each. Stop
// early with one line that says what to do.
import { execFileSync } from 'node:child_process'
import { accessSync, constants } from 'node:fs'

const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`npm test needs Node.js >= 20.19 (this is ${process.versions.node}).`)
  process.exit(1)
}

try {
  execFileSync('redis-server', ['--version'], { stdio: 'ignore' })
} catch {
  console.error(
    'npm test needs redis-server on PATH: `sudo apt-get install redis-server` (Debian, Ubuntu) or `brew install redis` (macOS).',
  )
  process.exit(1)
}

// The same path the browser tests launch (TRIPSWITCH_CHROMIUM overrides it, e.g. on macOS).
// biome-ignore lint/suspicious/noUndeclaredEnvVars: where Chromium lives is no build input
const chromium = process.env.TRIPSWITCH_CHROMIUM || '/usr/bin/chromium'
try {
  accessSync(chromium, constants.X_OK)
} catch {
  console.error(
    `npm test needs Chromium at ${chromium} for the dashboard's browser tests: \`sudo apt-get install chromium\` (Debian, Ubuntu), or set TRIPSWITCH_CHROMIUM to a Chromium binary.`,
  )
  process.exit(1)
}
