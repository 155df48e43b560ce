import { defineConfig, type UserConfig } from 'tsdown'
import { packageConfig } from '../../tsdown.base.ts'

// The library entry (`main()` for running the command in-process) builds like every package; the
// bin is one more ESM file, without declarations: nothing imports it, node runs it.
const library = packageConfig({ entry: ['src/index.ts'] })
const bin: UserConfig = {
  entry: ['src/cli.ts'],
  format: 'esm',
  platform: 'node',
  fixedExtension: true,
  sourcemap: true,
  dts: false,
  // The library build cleans dist first; this one must not remove its output.
  clean: false,
}

export default defineConfig([...(Array.isArray(library) ? library : [library]), bin])
