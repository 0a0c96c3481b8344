/**
 * The suite Stryker runs for each mutant: the engines' tests in this process. The two crash tests
 * are left out: they kill child processes, whose coverage Stryker cannot see, and take ~45 s; they
 * run in `npm test`.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { include: ['test/**/*.test.ts'], exclude: ['test/log-crash.test.ts', 'test/kv-crash.test.ts', '**/node_modules/**'] },
});
