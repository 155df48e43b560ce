/**
 * Tripswitch benchmarks: `npm run bench` (from the repository root).
 *
 *   --rounds=N    measured rounds per scenario (default 15)
 *   --quick       fewer ops and rounds, for a smoke run
 *   --only=a,b    scenario ids to run: closed, failing, open, memory, adapters (default: all)
 *   --http        also run the HTTP scenario (see http.ts)
 *   --axios       also run axios against a local upstream (see axios.ts; --http runs it too)
 *   --nest        also run the NestJS interceptor scenario (see nest.ts)
 *   --redis       also run the RedisStore scenario (see redis.ts; needs redis-server on PATH)
 *   --clock=cpu   time in-process rounds by this process's CPU time (default) or `wall`
 *   --check       exit with code 1 when a target is missed (for CI)
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { adapters } from './adapters.ts'
import { closedSuccess } from './closed.ts'
import { closedFailing } from './failing.ts'
import { type BenchConfig, collectGarbage, inProcessClock, useClock } from './harness.ts'
import { memory } from './memory.ts'
import { openRejection } from './open.ts'
import { renderChecks, renderTable, type Scenario, type TargetCheck } from './report.ts'

const SCENARIOS: readonly Scenario[] = [
  closedSuccess,
  closedFailing,
  openRejection,
  memory,
  adapters,
]

function parseArgs(
  argv: readonly string[],
): BenchConfig & { only: Set<string> | null; check: boolean } {
  const value = (flag: string) =>
    argv.find((a) => a.startsWith(`--${flag}=`))?.slice(flag.length + 3)
  const quick = argv.includes('--quick')
  const rounds = Number(value('rounds') ?? (quick ? 5 : 15))
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`--rounds must be a positive integer, got ${value('rounds')}`)
  const only = value('only')
  const clock = value('clock') ?? 'cpu'
  if (clock !== 'cpu' && clock !== 'wall')
    throw new Error(`--clock must be cpu or wall, got ${clock}`)
  useClock(clock)
  return {
    rounds,
    warmupRounds: quick ? 1 : 2,
    scale: quick ? 0.1 : 1,
    http: argv.includes('--http'),
    check: argv.includes('--check'),
    only: only === undefined ? null : new Set(only.split(',')),
  }
}

function versionOf(pkg: string): string {
  const require = createRequire(import.meta.url)
  const json: unknown = JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8'))
  const version =
    typeof json === 'object' && json !== null && 'version' in json ? json.version : undefined
  return typeof version === 'string' ? version : '?'
}

/**
 * Which build of core is measured. `npm run bench` builds the packages and loads
 * packages/core/dist, what users get; `bench:source` loads the TypeScript source through tsx
 * (condition @tripswitch/source).
 * tsx compiles with esbuild's keepNames, which gives every named closure an own `name`
 * property (a dictionary of ~256 B per closure): that shows in the memory scenario.
 */
function coreBuild(): string {
  const entry = fileURLToPath(import.meta.resolve('@tripswitch/core'))
  if (entry.endsWith('.ts')) return `source (${entry}) via tsx; esbuild keepNames inflates closures`
  const src = join(dirname(entry), '..', 'src')
  if (!existsSync(src)) return `dist (${entry})`
  const built = statSync(entry).mtimeMs
  const newest = Math.max(...readdirSync(src).map((f) => statSync(join(src, f)).mtimeMs))
  return `dist (${entry})${newest > built ? ' — WARNING: older than src, run npm run build' : ''}`
}

async function main(): Promise<void> {
  const config = parseArgs(process.argv.slice(2))
  collectGarbage() // fails fast without --expose-gc
  const scenarios: Scenario[] = [...SCENARIOS]
  if (config.http) scenarios.push((await import('./http.ts')).http)
  if (config.http || process.argv.includes('--axios'))
    scenarios.push((await import('./axios.ts')).axiosAdapter)
  if (process.argv.includes('--nest')) scenarios.push((await import('./nest.ts')).nest)
  if (process.argv.includes('--redis')) scenarios.push((await import('./redis.ts')).redisStore)
  const selected = scenarios.filter((s) => config.only === null || config.only.has(s.id))
  const libs = ['@tripswitch/core', 'opossum', 'cockatiel']
    .map((p) => `${p} ${versionOf(p)}`)
    .join(', ')
  console.log(`Tripswitch benchmarks — node ${process.version} (${process.arch}), ${libs}`)
  console.log(`core: ${coreBuild()}`)
  console.log(
    `${config.rounds} interleaved rounds after ${config.warmupRounds} warm-up rounds; medians over rounds;` +
      ' ratios are medians of per-round ratios against the first row.' +
      ` Clock: ${inProcessClock() === 'cpu' ? "this process's CPU time (process.cpuUsage)" : 'wall time'} in process, wall time for the network.`,
  )

  const started = performance.now()
  const checks: TargetCheck[] = []
  const seconds: string[] = []
  for (const scenario of selected) {
    const begun = performance.now()
    const report = await scenario.run(config)
    for (const table of report.tables) console.log(renderTable(table))
    checks.push(...report.checks)
    seconds.push(`${scenario.id} ${((performance.now() - begun) / 1000).toFixed(1)} s`)
  }
  if (checks.length > 0) console.log(renderChecks(checks))
  console.log(
    `\nTotal ${((performance.now() - started) / 1000).toFixed(1)} s (${seconds.join(', ')})`,
  )
  if (config.check && checks.some((c) => !c.pass)) process.exitCode = 1
}

await main()
