import { execFileSync } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'

// The built package under each Nest major of the peer range, in a bare node process
// (test/majors/): Nest 12 as the workspace installs it, and each older major from its fixture
// workspace fixtures/nest<major>. `npm ci` installs that major in the fixture's own node_modules,
// because the root already holds Nest 12; a single node_modules could not hold both, since each
// major's @nestjs/core has a peer dependency on its own @nestjs/common.

const root = resolve(import.meta.dirname, '..')
const repo = resolve(root, '../..')
const out = join(root, '.cache', 'majors')
const fixtures = join(repo, 'fixtures')

/** `[major, node_modules dir]` per Nest fixture workspace; '' runs the workspace's own Nest. */
const majors: ReadonlyArray<readonly [string, string]> = [
  ['12', ''],
  ...readdirSync(fixtures)
    .filter((dir) => /^nest\d+$/.test(dir))
    .map((dir) => [dir.slice('nest'.length), join(fixtures, dir, 'node_modules')] as const),
]

/** The majors that `range` (such as `^10.0.0 || ^11.0.0`) accepts, in ascending order. */
function majorsOf(range: string): string[] {
  return [...range.matchAll(/\^(\d+)\./g)].map((match) => match[1]!).sort((a, b) => +a - +b)
}

/** Core's dist/ is missing or older than one of its sources (the build loads core's dist). */
function coreStale(): boolean {
  const built = join(repo, 'packages/core/dist/index.cjs')
  if (!existsSync(built)) return true
  const src = join(repo, 'packages/core/src')
  const newest = readdirSync(src, { recursive: true, encoding: 'utf8' })
    .map((file) => statSync(join(src, file)).mtimeMs)
    .reduce((a, b) => Math.max(a, b), 0)
  return newest > statSync(built).mtimeMs
}

const tsdown = join(repo, 'node_modules/.bin/tsdown')

/**
 * Builds the workspace package `pkg` into `.cache/majors/node_modules`, where the built
 * package resolves it first: a concurrent `turbo run build` (the packaging test) cleans the
 * packages' own dist/ folders, and a child process importing one then would fail.
 */
function vendor(pkg: string): void {
  const dir = join(out, 'node_modules/@tripswitch', pkg)
  const from = join(repo, 'packages', pkg)
  execFileSync(tsdown, ['--out-dir', join(dir, 'dist'), '--no-dts', '--no-sourcemap'], {
    cwd: from,
    stdio: 'pipe',
  })
  copyFileSync(join(from, 'package.json'), join(dir, 'package.json'))
  if (existsSync(join(from, 'assets')))
    cpSync(join(from, 'assets'), join(dir, 'assets'), { recursive: true })
}

beforeAll(() => {
  if (coreStale()) execFileSync(tsdown, [], { cwd: join(repo, 'packages/core'), stdio: 'pipe' })
  execFileSync(tsdown, ['--out-dir', out, '--no-dts', '--no-sourcemap'], {
    cwd: root,
    stdio: 'pipe',
  })
  // After the build above, which empties `out`. The dashboard option imports the dashboard.
  for (const pkg of ['core', 'dashboard']) vendor(pkg)
}, 120_000)

interface Report {
  nest: { core: string; common: string; platform: string }
  offers: Array<{ status: number; retryAfter: string | null }>
  pings: Array<{ status: number }>
  health: { circuits: { status: string; open: string[] } }
  dashboard: { page: number; base: boolean; circuits: string[]; action: string; notFound: number }
}

function run(modules: string): Report {
  const args = ['--require', join(root, 'test/majors/resolve-nest.cjs')]
  args.push(join(root, 'test/majors/scenario.cjs'))
  const env = { ...process.env, NEST_MODULES: modules, TRIPSWITCH_NESTJS: join(out, 'index.cjs') }
  return JSON.parse(execFileSync(process.execPath, args, { env, encoding: 'utf8' })) as Report
}

describe('Nest majors', () => {
  it('tests every major of the peer range, each installed by npm ci', () => {
    const { peerDependencies } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      peerDependencies: Record<string, string>
    }
    const tested = majors.map(([major]) => major).sort((a, b) => +a - +b)
    for (const name of ['@nestjs/common', '@nestjs/core'])
      expect(majorsOf(peerDependencies[name] ?? ''), name).toEqual(tested)
    for (const [major, modules] of majors)
      if (modules !== '') expect(existsSync(modules), `npm ci installs Nest ${major}`).toBe(true)
  })
})

describe.each(majors)('Nest %s', (major, modules) => {
  // A whole Nest application boots in a child process: seconds while the suite loads both cores.
  it('guards, skips, reports and serves the dashboard on a real Express-platform server', {
    timeout: 60_000,
  }, () => {
    const report = run(modules)
    expect(report.nest.core.split('.')[0]).toBe(major)
    expect(report.nest.common.split('.')[0]).toBe(major)
    expect(report.nest.platform.split('.')[0]).toBe(major)
    expect(report.offers).toEqual([
      { status: 500, retryAfter: null },
      { status: 500, retryAfter: null },
      { status: 503, retryAfter: '60' },
    ])
    expect(report.pings.map((p) => p.status)).toEqual([200, 200])
    expect(report.health.circuits).toEqual({ status: 'down', open: ['OfferController.offer'] })
    expect(report.dashboard).toEqual({
      page: 200,
      base: true,
      circuits: ['OfferController.offer:open'],
      action: 'closed',
      notFound: 404,
    })
  })
})
