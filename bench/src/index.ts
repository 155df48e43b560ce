/**
 * Tripswitch benchmarks: `npm run bench` (from the repository root).
 *
 *   --rounds=N    measured rounds per scenario (default 15)
 *   --quick       fewer ops and rounds, for a smoke run
 *   --only=a,b    scenario ids to run: closed, failing, open, memory, adapters, metrics (default: all)
 *   --http        also run the HTTP scenario (see http.ts)
 *   --axios       also run axios against a local upstream (see axios.ts; --http runs it too)
 *   --fetch       also run the fetch adapter scenario (see fetch.ts; --http runs it too)
 *   --nest        also run the NestJS interceptor scenario (see nest.ts)
 *   --redis       also run the RedisStore scenario (see redis.ts; needs redis-server on PATH)
 *   --clock=cpu   time in-process rounds by this process's CPU time (default) or `wall`
 *   --check       exit with code 1 when a target is missed (for CI)
 *   --help        print this list
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs as parseCommandLine } from 'node:util'
import { adapters } from './adapters.ts'
import { closedSuccess } from './closed.ts'
import { closedFailing } from './failing.ts'
import { type BenchConfig, collectGarbage, inProcessClock, useClock } from './harness.ts'
import { memory } from './memory.ts'
import { metrics } from './metrics.ts'
import { openRejection } from './open.ts'
import { renderChecks, renderTable, type Scenario, type TargetCheck } from './report.ts'

const SCENARIOS: readonly Scenario[] = [
  closedSuccess,
  closedFailing,
  openRejection,
  memory,
  adapters,
  metrics,
]

/** The command line, parsed strictly: an unknown flag or scenario is an error, never a no-op. */
interface BenchArgs extends BenchConfig {
  readonly only: Set<string> | null
  readonly check: boolean
  readonly extra: { axios: boolean; fetch: boolean; nest: boolean; redis: boolean }
}

/** What `--help` prints, and what a bad command line is answered with. */
const USAGE = `usage: npm run bench -- [options]
  --rounds=N    measured rounds per scenario (default 15)
  --quick       fewer ops and rounds, for a smoke run
  --only=a,b    scenario ids to run: closed, failing, open, memory, adapters, metrics,
                http, axios, fetch, nest, redis (default: the first six)
  --http        also run the HTTP scenario (req/s over real sockets; information only)
  --axios       also run axios against a local upstream
  --fetch       also run the fetch adapter scenario
  --nest        also run NestJS over HTTP per platform
  --redis       also run the RedisStore scenario (needs redis-server on PATH)
  --clock=cpu   time in-process rounds by CPU time (default) or wall
  --check       exit with code 1 when a target is missed
  --help        print this list`

/** A command line that cannot be run: one line saying why, then the usage, exit code 2. */
class UsageError extends Error {}

function parseArgs(argv: string[]): BenchArgs {
  try {
    return parseStrictly(argv)
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
}

function parseStrictly(argv: string[]): BenchArgs {
  const { values } = parseCommandLine({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      rounds: { type: 'string' },
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      http: { type: 'boolean', default: false },
      axios: { type: 'boolean', default: false },
      fetch: { type: 'boolean', default: false },
      nest: { type: 'boolean', default: false },
      redis: { type: 'boolean', default: false },
      clock: { type: 'string', default: 'cpu' },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    console.log(USAGE)
    process.exit(0)
  }
  const rounds = Number(values.rounds ?? (values.quick ? 5 : 15))
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`--rounds must be a positive integer, got ${values.rounds}`)
  if (values.clock !== 'cpu' && values.clock !== 'wall')
    throw new Error(`--clock must be cpu or wall, got ${values.clock}`)
  useClock(values.clock)
  const only = values.only === undefined ? null : new Set(values.only.split(','))
  const unknown = [...(only ?? [])].filter((id) => !SCENARIO_IDS.includes(id))
  if (unknown.length > 0)
    throw new Error(
      `--only: unknown scenario ${unknown.join(', ')} (known: ${SCENARIO_IDS.join(', ')})`,
    )
  return {
    rounds,
    warmupRounds: values.quick ? 1 : 2,
    scale: values.quick ? 0.1 : 1,
    http: values.http,
    check: values.check,
    only,
    extra: { axios: values.axios, fetch: values.fetch, nest: values.nest, redis: values.redis },
  }
}

/** Every scenario id `--only` accepts, the optional ones included. */
const SCENARIO_IDS: readonly string[] = [
  ...SCENARIOS.map((s) => s.id),
  'http',
  'axios',
  'fetch',
  'nest',
  'redis',
]

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
  if (config.http || config.extra.axios) scenarios.push((await import('./axios.ts')).axiosAdapter)
  if (config.http || config.extra.fetch) scenarios.push((await import('./fetch.ts')).fetchAdapter)
  if (config.extra.nest) scenarios.push((await import('./nest.ts')).nest)
  if (config.extra.redis) scenarios.push((await import('./redis.ts')).redisStore)
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

await main().catch((error: unknown) => {
  if (!(error instanceof UsageError)) throw error
  console.error(`bench: ${error.message}\n\n${USAGE}`)
  process.exitCode = 2
})
