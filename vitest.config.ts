import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['suites/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['suites/setup/host-knobs.ts', 'suites/setup/temp-folders.ts'],
    // The generic suites run on the worked-example mechanism (README, Adding a mechanism).
    env: { MMSPEC_MECHANISMS: 'fixtures/toy' },
  },
});
