import { defineConfig } from 'tsdown'

const shared = {
  dts: true,
  sourcemap: true,
  fixedExtension: true,
  platform: 'node',
} as const

// Two builds: ESM from the ESM entry (a default and named exports), CommonJS from an entry whose
// only export is the default, so that `require()` returns the plugin function itself.
export default defineConfig([
  { ...shared, entry: { index: 'src/index.ts' }, format: 'esm', clean: true },
  { ...shared, entry: { index: 'src/cjs.ts' }, format: 'cjs', clean: false, cjsDefault: true },
])
