import { packageConfig } from '../../tsdown.base.ts'

// Neutral: core uses no Node-only API (axios users bundle it for browsers).
export default packageConfig({
  entry: ['src/index.ts', 'src/adapter.ts', 'src/testing/index.ts'],
  platform: 'neutral',
})
