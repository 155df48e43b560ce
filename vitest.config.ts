import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      // Config files, not folders: a file under examples/ (a Grafana dashboard) is not a project.
      'packages/*/vitest.config.ts',
      'examples/*/vitest.config.ts',
      { test: { name: 'repo', root: import.meta.dirname, include: ['test/**/*.test.ts'] } },
    ],
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
})
