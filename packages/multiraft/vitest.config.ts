/**
 * While packages/raft has no committed implementation (it is written in parallel), the Store's tests
 * run on a small stand-in core (test/support/mini-raft.ts). The alias vanishes by itself as soon as
 * packages/raft/src/index.ts exists; then the stand-in can be deleted.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const alias: Record<string, string> = {};
if (!existsSync(here('../raft/src/index.ts'))) alias['@ringkv/raft'] = here('./test/support/mini-raft.ts');

export default defineConfig({ test: { alias, testTimeout: 60_000 } });
