import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

// `npm run bench -- --htpp` once ran nothing and exited 0. A bad command line must say what is
// wrong in one line, show the usage and exit 2, before any scenario runs.
const root = resolve(import.meta.dirname, '..')

function bench(...args: string[]) {
  const tsx = resolve(root, 'node_modules/.bin/tsx')
  // From the sources, so the test needs no build of the packages first.
  const command = ['--conditions=@tripswitch/source', '--expose-gc', 'src/index.ts', ...args]
  return spawnSync(tsx, command, { cwd: resolve(root, 'bench'), encoding: 'utf8' })
}

describe('the bench command line', () => {
  it.each([
    [['--htpp'], "bench: Unknown option '--htpp'"],
    [['--only=closed,nope'], 'bench: --only: unknown scenario nope (known: closed,'],
    [['--rounds=0'], 'bench: --rounds must be a positive integer, got 0'],
    [['--clock=gpu'], 'bench: --clock must be cpu or wall, got gpu'],
    [['closed'], 'bench: Unexpected argument'],
  ])(
    'refuses %j with one line, the usage and exit code 2',
    (args, message) => {
      const { status, stdout, stderr } = bench(...args)
      expect(status).toBe(2)
      expect(stdout).toBe('')
      expect(stderr.split('\n')[0]).toContain(message)
      expect(stderr).toContain('usage: npm run bench -- [options]')
    },
    30_000,
  )

  it('prints the usage for --help and runs nothing', () => {
    const { status, stdout } = bench('--help')
    expect(status).toBe(0)
    expect(stdout).toContain('--only=a,b')
    expect(stdout).not.toContain('Tripswitch benchmarks')
  }, 30_000)
})
