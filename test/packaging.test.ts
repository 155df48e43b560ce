import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { publint } from 'publint'
import { beforeAll, describe, expect, it } from 'vitest'

// What users install: every published package must build to ESM + CJS with declarations, pass
// publint and "are the types wrong", and load from its dist by both `import` and `require`.
const root = resolve(import.meta.dirname, '..')
const packages = readdirSync(join(root, 'packages'))
  .map((dir) => join(root, 'packages', dir))
  .filter((dir) => {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      private?: boolean
    }
    return manifest.private !== true
  })

const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
  })

beforeAll(() => {
  run('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], root)
}, 180_000)

describe.each(packages.map((dir) => [dir.split('/').at(-1)!, dir]))('package %s', (_name, dir) => {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    name: string
    exports: Record<string, unknown>
  }

  it('is publint clean (strict)', async () => {
    const { messages } = await publint({ pkgDir: dir, strict: true, pack: 'npm' })
    expect(messages).toEqual([])
  }, 60_000)

  it('has no type resolution problems (attw, every resolution, classic node10 included)', () => {
    const report = JSON.parse(
      run('npx', ['attw', '--pack', '--format', 'json', '--no-emoji'], dir).trim() || '{}',
    ) as { problems?: Record<string, unknown[]> }
    // Subpaths (core's /adapter and /testing) resolve under node10 through typesVersions.
    expect(Object.values(report.problems ?? {}).flat()).toEqual([])
  }, 60_000)

  it('builds before it is packed, so a package never ships without code', () => {
    const scripts = (manifest as { scripts?: Record<string, string> }).scripts ?? {}
    expect(scripts.prepack).toBe('npm run build')
    const meta = manifest as Record<string, unknown>
    for (const field of ['repository', 'homepage', 'bugs', 'keywords'])
      expect(meta[field], field).toBeDefined()
    expect(meta.sideEffects).toBe(false)
  })

  it('loads from dist by import and by require with the same exports', async () => {
    const esm = (await import(pathToFileURL(join(dir, 'dist/index.mjs')).href)) as Record<
      string,
      unknown
    >
    const cjs = createRequire(join(dir, 'package.json'))(join(dir, 'dist/index.cjs')) as Record<
      string,
      unknown
    >
    const named = Object.keys(esm).filter((k) => k !== 'default')
    expect(named.length).toBeGreaterThan(0)
    for (const key of named) expect(cjs[key], key).toBeDefined()
    // A CommonJS module may be the plugin itself, carrying self-references (fastify-plugin adds
    // `default` and a camel-cased name); anything else it adds must also exist in ESM.
    const extra = Object.keys(cjs).filter((k) => !named.includes(k) && cjs[k] !== cjs)
    expect(extra.filter((k) => k !== 'default')).toEqual([])
    expect(manifest.exports['.']).toBeDefined()
  })
})

// A package with a command (`bin`) ships it built: a file in dist that node runs directly (a
// shebang, executable), and that answers `--version` with the package's version from dist alone.
const withBin = packages
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => manifest.bin !== undefined) as {
  dir: string
  manifest: { version: string; bin: Record<string, string>; files: string[] }
}[]

describe.each(withBin.map(({ dir, manifest }) => [dir.split('/').at(-1)!, dir, manifest] as const))(
  'package %s, its commands',
  (_name, dir, manifest) => {
    // A process of its own: seconds on a loaded machine.
    it.each(Object.entries(manifest.bin))(
      '%s runs from dist',
      { timeout: 30_000 },
      (_command, path) => {
        expect(path).toMatch(/^\.\/dist\//)
        expect(manifest.files).toContain('dist')
        const file = join(dir, path)
        expect(readFileSync(file, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true)
        expect(statSync(file).mode & 0o111).not.toBe(0)
        expect(run(process.execPath, [file, '--version'], dir).trim()).toBe(manifest.version)
      },
    )
  },
)
