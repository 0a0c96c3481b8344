/**
 * While packages/raft and packages/ring have no implementation yet (they are written in
 * parallel), the Store's tests run against small stand-ins in test/support. The aliases vanish by
 * themselves as soon as the real packages export their index.ts.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const alias: Record<string, string> = {};
if (!existsSync(here('../raft/src/index.ts'))) alias['@ringkv/raft'] = here('./test/support/mini-raft.ts');
if (!existsSync(here('../ring/src/index.ts'))) alias['@ringkv/ring'] = here('./test/support/mini-ring.ts');

export default defineConfig({ test: { alias, testTimeout: 60_000 } });
