import { defineConfig } from 'vitest/config';

// One runner for the whole repo: unit tests (core/, web/), integration tests over real
// sockets (gateway/), and browser tests driving Debian's Chromium (e2e/).
export default defineConfig({
  test: {
    include: ['core/**/*.test.ts', 'web/**/*.test.ts', 'gateway/**/*.test.ts', 'e2e/**/*.test.ts', 'bench/**/*.test.ts'],
    globalSetup: ['e2e/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
