import { defineConfig } from 'vitest/config';

// The Store's tests run several Raft groups on a loaded 2-core machine: generous timeouts.
export default defineConfig({ test: { testTimeout: 60_000 } });
