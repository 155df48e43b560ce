import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: ['packages/*', 'examples', 'bench'],
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
})
