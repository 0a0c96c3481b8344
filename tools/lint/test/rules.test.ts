/**
 * The lint rules in eslint.config.js carry the architecture (package boundaries) and determinism
 * (no clock, dice or timers in the Raft core and the ring). These tests lint small snippets as if
 * they lived at a given path and check that each rule fires, and that allowed code passes.
 */
import { ESLint } from 'eslint';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const eslint = new ESLint({ cwd: root });

async function messagesFor(relPath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, relPath) });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('determinism rules', () => {
  const cases: Array<[string, string]> = [
    ['Math.random', 'export const x = Math.random();\n'],
    ['Date.now', 'export const x = Date.now();\n'],
    ['performance.now', 'export const x = performance.now();\n'],
    ['new Date', 'export const x = new Date();\n'],
    ['setTimeout', 'setTimeout(() => undefined, 1);\n'],
    ['setInterval', 'setInterval(() => undefined, 1);\n'],
    ['setImmediate', 'setImmediate(() => undefined);\n'],
  ];
  for (const dir of ['packages/raft/src', 'packages/ring/src', 'packages/multiraft/src']) {
    for (const [what, code] of cases) {
      it(`forbids ${what} in ${dir}`, async () => {
        const msgs = await messagesFor(`${dir}/probe.ts`, code);
        expect(msgs.some((m) => /no-restricted-(properties|globals|syntax)/.test(m))).toBe(true);
      });
    }
  }
  it('allows timers in apps/server', async () => {
    expect(await messagesFor('apps/server/src/probe.ts', 'setTimeout(() => undefined, 1);\n')).toEqual([]);
  });
});

describe('package boundaries', () => {
  it('raft may not import storage', async () => {
    const msgs = await messagesFor('packages/raft/src/probe.ts', "import { x } from '@ringkv/storage';\nexport const y = x;\n");
    expect(msgs.join('\n')).toMatch(/no-restricted-imports/);
  });
  it('ring may import stdx', async () => {
    expect(await messagesFor('packages/ring/src/probe.ts', "import { assert } from '@ringkv/stdx';\nexport const y = assert;\n")).toEqual([]);
  });
  it('nothing in packages imports apps', async () => {
    const msgs = await messagesFor('packages/multiraft/src/probe.ts', "import { x } from '@ringkv/server';\nexport const y = x;\n");
    expect(msgs.join('\n')).toMatch(/Nothing in packages\/ imports from apps/);
  });
  it('client may import api only as a type', async () => {
    const typeOnly = "import type { AppRouter } from '@ringkv/api';\nexport type R = AppRouter;\n";
    expect(await messagesFor('packages/client/src/probe.ts', typeOnly)).toEqual([]);
    const value = "import { createAppRouter } from '@ringkv/api';\nexport const r = createAppRouter;\n";
    expect((await messagesFor('packages/client/src/probe.ts', value)).join('\n')).toMatch(/no-restricted-imports/);
  });
  it('lincheck imports nothing of ours', async () => {
    const msgs = await messagesFor('packages/lincheck/src/probe.ts', "import { assert } from '@ringkv/stdx';\nexport const y = assert;\n");
    expect(msgs.join('\n')).toMatch(/no-restricted-imports/);
  });
});
