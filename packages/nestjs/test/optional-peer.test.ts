import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// @tripswitch/dashboard is an optional peer dependency. The built package is copied into a
// node_modules outside the repository, beside links to the packages it does need, so that
// resolving @tripswitch/dashboard from it fails as it would in an application without it.

const root = resolve(import.meta.dirname, '..')
const repo = resolve(root, '../..')
const out = join(root, '.cache', 'optional-peer')
let app: string

beforeAll(() => {
  execFileSync('npx', ['tsdown', '--out-dir', out, '--no-dts', '--no-sourcemap'], {
    cwd: root,
    stdio: 'pipe',
  })
  app = mkdtempSync(join(tmpdir(), 'tripswitch-nestjs-'))
  const modules = join(app, 'node_modules')
  const own = join(modules, '@tripswitch/nestjs')
  mkdirSync(own, { recursive: true })
  copyFileSync(join(out, 'index.cjs'), join(own, 'index.cjs'))
  mkdirSync(join(modules, '@nestjs'))
  for (const name of [
    '@tripswitch/core',
    '@nestjs/common',
    '@nestjs/core',
    '@nestjs/platform-express',
    'rxjs',
    'reflect-metadata',
  ])
    symlinkSync(join(repo, 'node_modules', name), join(modules, name), 'dir')
}, 120_000)

afterAll(() => {
  if (app !== undefined) rmSync(app, { recursive: true, force: true })
})

describe('without @tripswitch/dashboard installed', () => {
  it('loads and boots, and the dashboard option names the package to install', {
    timeout: 60_000,
  }, () => {
    const script = join(app, 'scenario.cjs')
    copyFileSync(join(root, 'test/optional-peer/scenario.cjs'), script)
    const env = {
      ...process.env,
      TRIPSWITCH_NESTJS: join(app, 'node_modules/@tripswitch/nestjs/index.cjs'),
    }
    const report = JSON.parse(
      execFileSync(process.execPath, [script], { cwd: app, env, encoding: 'utf8' }),
    ) as {
      plain: string
      withDashboard: string
    }
    expect(report.plain).toBe('booted')
    expect(report.withDashboard).toBe(
      'TripswitchModule\'s "dashboard" option needs @tripswitch/dashboard: npm install @tripswitch/dashboard',
    )
  })
})
