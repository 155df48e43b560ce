import { spawnSync } from 'node:child_process'
import { mkdtempSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

// `npm test` runs this check first: without redis-server on PATH it must stop at once with one
// line saying what to install, not fail forty Redis tests with a stack each.
const script = resolve(import.meta.dirname, '../scripts/check-prerequisites.mjs')

function check(path: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [script], { env: { PATH: path, ...env }, encoding: 'utf8' })
}

function dirWithRedis(): string {
  const dir = mkdtempSync(join(tmpdir(), 'with-redis-'))
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' })
  symlinkSync(found.stdout.trim(), join(dir, 'redis-server'))
  return dir
}

describe('npm test prerequisites', () => {
  it('stops with one line naming what to install when redis-server is missing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-redis-'))
    const run = check(empty)
    expect(run.status).toBe(1)
    const lines = run.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      /redis-server on PATH.*apt-get install redis-server.*brew install redis/,
    )
  })

  it('passes when redis-server is on PATH and Chromium is installed', () => {
    const run = check(dirWithRedis())
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
  })

  it('stops with one line naming what to install when Chromium is missing', () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'no-chromium-')), 'chromium')
    const run = check(dirWithRedis(), { TRIPSWITCH_CHROMIUM: missing })
    expect(run.status).toBe(1)
    const lines = run.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/Chromium at .*no-chromium-.*apt-get install chromium/)
  })
})
