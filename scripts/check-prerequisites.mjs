// Run first by `npm test`: the Redis tests start their own redis-server, and without one on
// PATH forty tests would fail with a stack each. Stop early with one line that says what to do.
import { execFileSync } from 'node:child_process'

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
