// npm run shared-redis: N worker processes behind one breaker in Redis. See the README.
import { ConfigError, readConfig } from './config.ts'
import { runScenario } from './coordinator.ts'
import { fleetProblems } from './dashboard.ts'
import { formatReport, formatTimeline } from './print.ts'
import { RedisUnreachableError } from './redis-channel.ts'
import { RedisNotInstalledError } from './redis-server.ts'
import { problemsWith } from './report.ts'

async function main(): Promise<number> {
  const config = readConfig(process.env, process.argv.slice(2))
  console.log(
    `shared-redis: ${config.workers} workers, recovery ${config.recoveryMs} ms, ` +
      `a call every ${config.callIntervalMs} ms per worker`,
  )
  const { startedAt, entries, report, fleet } = await runScenario(config, (line) =>
    console.log(`  ${line}`),
  )
  console.log('\ntimeline (ms since start)')
  for (const line of formatTimeline(entries, startedAt)) console.log(line)
  for (const line of formatReport(report)) console.log(line)
  for (const { name, state, instances } of fleet)
    console.log(`dashboard fleet view: "${name}" ${state}, reported by ${instances.join(', ')}`)
  const problems = [...problemsWith(report), ...fleetProblems(fleet, 'upstream', config.workers)]
  console.log(
    problems.length === 0
      ? '\nOK: one trip in Redis, the whole fleet opened and closed together, one probe fleet-wide.'
      : `\nUNEXPECTED:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
  )
  // One machine-readable line for scripts and the example's test.
  if (config.json) console.log(JSON.stringify({ report, fleet, problems }))
  return problems.length === 0 ? 0 : 1
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof RedisUnreachableError)
      console.error(`shared-redis: ${error.message}`)
    else if (error instanceof RedisNotInstalledError)
      console.error(
        'shared-redis: redis-server is not installed (not found on PATH).\n' +
          'Install Redis 7 (apt-get install redis-server, brew install redis) or point ' +
          'REDIS_URL at a running Redis, e.g. REDIS_URL=redis://127.0.0.1:6379 npm run shared-redis',
      )
    else console.error('shared-redis failed:', error)
    process.exitCode = 1
  },
)
