import { defineConfig } from 'vitest/config';

// Real processes on a loaded machine: one file at a time, generous per-test timeouts.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
