import { packageConfig } from '../../tsdown.base.ts'

// Two builds: ESM from the ESM entry (a default and named exports), CommonJS from an entry whose
// only export is the default, so that `require()` returns the plugin function itself.
export default packageConfig({
  entry: { index: 'src/index.ts' },
  cjsEntry: { index: 'src/cjs.ts' },
})
