import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../src/cli';
import { findLincheckDataDir } from '../src/data-path';

const data = findLincheckDataDir();

describe('lincheck CLI', () => {
  let out: string[];
  beforeEach(() => {
    out = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  });
  afterEach(() => vi.restoreAllMocks());

  it('prints Ok and exits 0 for a linearizable history', () => {
    expect(runCli([join(data, 'jepsen/etcd_005.log')])).toBe(0);
    expect(out[0]).toMatch(/^Ok \(\d+\.\d ms, \d+ operations, 1 keys, jepsen\)$/);
  });

  it('prints Illegal, exits 1 and writes the HTML report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lincheck-'));
    const html = join(dir, 'r.html');
    expect(runCli([join(data, 'kv/c01-bad.txt'), '--format', 'kv', '--html', html])).toBe(1);
    expect(out[0]).toMatch(/^Illegal \(/);
    expect(out.some((l) => l.includes('cannot place client'))).toBe(true);
    expect(readFileSync(html, 'utf8')).toContain('class="op blocking"');
  });

  it('exits 2 with Unknown when the budget is too small', () => {
    // 14 concurrent unknown writes and contradictory reads: far more than 1 ms of search.
    const lines: string[] = [];
    for (let i = 0; i < 14; i++) {
      lines.push(JSON.stringify({ client: `w${i}`, op: 'put', key: 'k', input: { value: String(i) }, output: null, unknown: true, callMs: 0, returnMs: null }));
    }
    for (const [i, v] of ['0', '1', '0'].entries()) {
      lines.push(JSON.stringify({ client: 'r', op: 'get', key: 'k', input: {}, output: { found: true, value: v, version: 1 }, unknown: false, callMs: 2 * i + 1, returnMs: 2 * i + 2 }));
    }
    const file = join(mkdtempSync(join(tmpdir(), 'lincheck-')), 'h.jsonl');
    writeFileSync(file, lines.join('\n'));
    expect(runCli([file, '--timeout-ms', '1'])).toBe(2);
    expect(out[0]).toMatch(/^Unknown \(/);
  });

  it('exits 3 on unreadable input or bad usage', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lincheck-')), 'h.jsonl');
    writeFileSync(file, '{"op":"nope"}\n');
    expect(runCli([file])).toBe(3);
    expect(out.join('\n')).toMatch(/cannot read .* as ringkv: line 1/);
    expect(runCli([file, '--format', 'xml'])).toBe(3);
    expect(runCli([file, '--timeout-ms', '-5'])).toBe(3);
  });
});
