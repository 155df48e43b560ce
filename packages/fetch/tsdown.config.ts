import { packageConfig } from '../../tsdown.base.ts'

// Two entries: the undici interceptor's types import undici, an optional peer, so they live
// apart from the fetch wrapper's (a fetch-only user's type check never needs undici).
export default packageConfig({ entry: ['src/index.ts', 'src/undici.ts'] })
