import { defineProject } from 'vitest/config'

export default defineProject({
  resolve: { conditions: ['@tripswitch/source'] },
  ssr: { resolve: { conditions: ['@tripswitch/source'] } },
  test: { name: 'cli', include: ['test/**/*.test.ts'] },
})
