import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { delimiter, join, resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'

// The built package under each Nest major, in a bare node process (test/majors/): the installed
// Nest 12 always, and each `<major>=<node_modules dir>` listed in TRIPSWITCH_NEST_MODULES, which
// `npm run test:majors` sets for Nest 10 and 11 (npm cannot install two majors of Nest side by
// side in one tree: each major's @nestjs/core has a peer dependency on its own @nestjs/common).

const root = resolve(import.meta.dirname, '..')
const repo = resolve(root, '../..')
const out = join(root, '.cache', 'majors')
const extra = (process.env.TRIPSWITCH_NEST_MODULES ?? '').split(delimiter).filter(Boolean)
const majors: ReadonlyArray<readonly [string, string]> = [
  ['12', ''],
  ...extra.map((entry) => entry.split('=') as [string, string]),
]

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

beforeAll(() => {
  const tsdown = join(repo, 'node_modules/.bin/tsdown')
  if (coreStale()) execFileSync(tsdown, [], { cwd: join(repo, 'packages/core'), stdio: 'pipe' })
  execFileSync(tsdown, ['--out-dir', out, '--no-dts', '--no-sourcemap'], {
    cwd: root,
    stdio: 'pipe',
  })
}, 120_000)

interface Report {
  nest: { core: string; common: string; platform: string }
  offers: Array<{ status: number; retryAfter: string | null }>
  pings: Array<{ status: number }>
  health: { circuits: { status: string; open: string[] } }
}

function run(modules: string): Report {
  const args = ['--require', join(root, 'test/majors/resolve-nest.cjs')]
  args.push(join(root, 'test/majors/scenario.cjs'))
  const env = { ...process.env, NEST_MODULES: modules, TRIPSWITCH_NESTJS: join(out, 'index.cjs') }
  return JSON.parse(execFileSync(process.execPath, args, { env, encoding: 'utf8' })) as Report
}

describe.each(majors)('Nest %s', (major, modules) => {
  it('guards, skips and reports on a real Express-platform server, one major throughout', () => {
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
  })
})
