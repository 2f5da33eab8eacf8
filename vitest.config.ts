import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx', 'examples/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Suites that share the one PostgreSQL server use their own schemas; files may run in parallel.
    pool: 'forks',
    // PostgreSQL and Chromium: the system's when present, else ones shipped on npm (test/services).
    globalSetup: ['test/services/globalSetup.ts'],
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
  },
})
