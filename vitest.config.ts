import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      'packages/*',
      'examples/*',
      { test: { name: 'repo', root: import.meta.dirname, include: ['test/**/*.test.ts'] } },
    ],
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
})
