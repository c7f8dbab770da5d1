import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.spec.ts'],
    // Integration tests start real servers per file; forks keep each file's servers in its own process.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 90_000,
    // A flaky lock test is a bug to find, never something to retry.
    retry: 0,
    globalSetup: ['test/global-setup.ts'],
    // Tests the chosen ZKOC_STACK_PROVIDER cannot run are listed by name with the reason (test/support/stack.ts).
    reporters: ['default', './test/support/not-run-reporter.ts'],
  },
});
