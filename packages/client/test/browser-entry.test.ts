/**
 * The browser entry must load in a browser: nothing it imports, directly or through other files
 * of this package, may be a node: module, `ws`, or the ring (whose hash is a native addon).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');
const IMPORT = /^\s*(?:import|export)\s+(type\s+)?[^'";]*?from\s+'([^']+)'/gm;

/** Runtime imports (not `import type`) reachable from `entry`, as bare specifiers. */
function runtimeImports(entry: string): Set<string> {
  const seen = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const [, typeOnly, spec] = match;
      if (typeOnly !== undefined) continue;
      if (spec!.startsWith('.')) visit(join(dirname(file), `${spec}.ts`));
      else external.add(spec!);
    }
  };
  visit(join(SRC, entry));
  return external;
}

describe('browser entry', () => {
  it('imports no node: module, no ws and not the ring at run time', () => {
    const imports = [...runtimeImports('browser.ts')];
    expect(imports.filter((s) => s.startsWith('node:') || s === 'ws' || s === '@ringkv/ring')).toEqual([]);
    expect(imports).toContain('@trpc/client');
  });

  it('the check sees what the Node entry imports', () => {
    const node = [...runtimeImports('index.ts')];
    expect(node).toContain('ws');
    expect(node).toContain('@ringkv/ring');
  });
});
