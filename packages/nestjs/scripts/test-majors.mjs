// Installs Nest 10 and 11 (common, core, platform-express) into .cache/nest-<major>, outside the
// workspace tree, and runs test/majors.test.ts against them and the installed Nest 12.
import { execFileSync } from 'node:child_process'
import { delimiter, join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const dirs = ['10', '11'].map((major) => {
  const prefix = join(root, '.cache', `nest-${major}`)
  const packages = ['common', 'core', 'platform-express'].map((p) => `@nestjs/${p}@^${major}`)
  const args = ['install', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts']
  execFileSync('npm', [...args, '--prefix', prefix, ...packages, 'reflect-metadata', 'rxjs'], {
    stdio: 'inherit',
  })
  return `${major}=${join(prefix, 'node_modules')}`
})
execFileSync('npx', ['vitest', 'run', 'test/majors.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, TRIPSWITCH_NEST_MODULES: dirs.join(delimiter) },
})
