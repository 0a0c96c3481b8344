/**
 * The suite Stryker runs for each mutant: unit tests and transcripts only. The randomized
 * cluster test is left out because it is slow; it runs in `npm test` and `npm run fuzz`.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { include: ['test/**/*.test.ts'], exclude: ['test/random-cluster.test.ts', '**/node_modules/**'] },
});
