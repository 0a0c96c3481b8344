import { defineConfig } from 'vitest/config';

// The cluster test runs three nodes over real sockets on a loaded machine: generous timeouts.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
