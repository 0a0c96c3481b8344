/** Where benchmarks put their databases: RINGKV_BENCH_DIR, else the OS temp directory. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function benchDir(name: string): string {
  return mkdtempSync(join(process.env.RINGKV_BENCH_DIR ?? tmpdir(), `ringkv-bench-${name}-`));
}

export function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}
