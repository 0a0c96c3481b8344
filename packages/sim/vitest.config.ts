import { defineConfig } from 'vitest/config';

// Whole simulated runs take seconds of wall time on a loaded machine.
export default defineConfig({ test: { testTimeout: 60_000 } });
