/**
 * A node runs its TypeScript through tsx, whose esbuild transform keeps function names
 * (`keepNames`): every closure bound to a name (`const f = () => ...`, `{ resolve: () => ... }`,
 * a class field holding an arrow) is wrapped in `__name(fn, "f")`, an Object.defineProperty call
 * each time the closure is made. Made per write, such closures were ~3 % of a node's main thread
 * under puts (perf, 2026-12-06). This test transforms the hot paths with the esbuild tsx itself
 * uses, with keepNames as tsx sets it, and fails if one of the functions below makes a named
 * closure at run time again (a closure passed straight as an argument gets no name: that is the fix).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
// The esbuild that tsx resolves, not whichever another package would.
const requireFromTsx = createRequire(createRequire(join(REPO_ROOT, 'package.json')).resolve('tsx'));
const esbuild = requireFromTsx('esbuild') as { transformSync(code: string, options: object): { code: string } };

/** Per file, the functions (methods, or `Class.constructor`) that run per write, read or round. */
const HOT: Record<string, readonly string[]> = {
  'packages/multiraft/src/store.ts': ['put', 'write', 'proposeWrite', 'propose', 'scheduleRound', 'round', 'applyCommitted', 'answerWriters', 'answerApplied', 'stepInbound', 'stepOnArrival', 'proposeQueued', 'expireDeadlines'],
  'packages/multiraft/src/waiters.ts': ['WriteWaiter.constructor', 'resolve', 'reject'],
  'packages/stdx/src/clock.ts': ['setTimer', 'clearTimer'],
  'packages/storage/src/kv-engine.ts': ['write', 'get', 'getMeta', 'getSession'],
  'packages/storage/src/kv-queue.ts': ['add', 'take'],
  'packages/storage/src/kv-batch.ts': ['put', 'setSession', 'setAppliedIndex'],
  'packages/client/src/trpc-transport.ts': ['call', 'enqueue', 'flush', 'send', 'PendingCall.constructor'],
};

/** The body of `name` (a method, or `Class.constructor`) in esbuild's formatted output, or undefined. */
function body(code: string, name: string): string | undefined {
  const lines = code.split('\n');
  const [className, method] = name.includes('.') ? name.split('.') : [undefined, name];
  let from = 0;
  if (className !== undefined) {
    from = lines.findIndex((l) => new RegExp(`^(export )?class ${className}\\b`).test(l));
    if (from < 0) return undefined;
  }
  const start = lines.findIndex((l, i) => i >= from && new RegExp(`^  (static )?(async )?${method}\\(.*\\) \\{$`).test(l));
  if (start < 0) return undefined;
  const end = lines.findIndex((l, i) => i > start && l === '  }');
  return lines.slice(start + 1, end).join('\n');
}

describe('hot paths make no named closures under tsx', () => {
  for (const [file, functions] of Object.entries(HOT)) {
    it(file, () => {
      const source = readFileSync(join(REPO_ROOT, file), 'utf8');
      const { code } = esbuild.transformSync(source, { loader: 'ts', format: 'esm', target: 'node20', keepNames: true });
      for (const name of functions) {
        const text = body(code, name);
        expect(text, `${name} not found in ${file}'s transformed code`).toBeDefined();
        const named = [...text!.matchAll(/__name\([^"]*?"(\w+)"\)/gs)].map((m) => m[1]);
        expect(named, `${file} ${name} names closures at run time`).toEqual([]);
      }
    });
  }

  it('finds a named closure where there is one (the check itself works)', () => {
    const { code } = esbuild.transformSync('export class A { hot(x: number) { const f = () => x; return f(); } }', { loader: 'ts', format: 'esm', keepNames: true });
    expect(body(code, 'hot')).toContain('__name(');
  });
});
