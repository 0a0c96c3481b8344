/** The profile summarizer: self time per function and place, cut to a window in profile time. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { CpuProfile } from '../src/cpu-profile';
import { monotonicUs, summarize } from '../src/cpu-profile';

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 1 });

describe('summarize', () => {
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 3, 4] },
      { id: 2, callFrame: frame('(idle)') },
      { id: 3, callFrame: frame('_put', 'file:///r/node_modules/classic-level/chained-batch.js') },
      { id: 4, callFrame: frame('round', 'file:///r/packages/multiraft/src/store.ts') },
    ],
    startTime: 1_000,
    endTime: 1_600,
    // samples at t = 1100 (idle), 1200 (_put), 1300 (round), 1400 (_put), 1600 (round)
    samples: [2, 3, 4, 3, 4],
    timeDeltas: [100, 100, 100, 100, 200],
  };

  it('adds up self time by function and by place, idle apart', () => {
    const s = summarize(profile);
    expect(s.windowUs).toBe(600);
    expect(s.idleUs).toBe(100);
    expect(s.byPlace).toEqual([
      ['multiraft/src/store.ts', 300],
      ['classic-level', 200],
      ['(idle)', 100],
    ]);
    expect(s.byFunction[0]).toEqual(['round multiraft/src/store.ts:1', 300]);
  });

  it('keeps only the samples inside the window', () => {
    const s = summarize(profile, 1_150, 1_450);
    expect(s.windowUs).toBe(300);
    expect(s.idleUs).toBe(0);
    expect(new Map(s.byPlace).get('classic-level')).toBe(200);
    expect(new Map(s.byPlace).get('multiraft/src/store.ts')).toBe(100);
  });

  it('shares its clock with the profiles of other processes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ringkv-prof-'));
    try {
      const before = monotonicUs();
      await promisify(execFile)(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '-e', 'let x = 0; const end = Date.now() + 200; while (Date.now() < end) x++;']);
      const after = monotonicUs();
      const [file] = await readdir(dir);
      const child = JSON.parse(await readFile(join(dir, file!), 'utf8')) as CpuProfile;
      expect(child.startTime).toBeGreaterThanOrEqual(before);
      expect(child.endTime).toBeLessThanOrEqual(after);
      expect(summarize(child, before, after).windowUs).toBeGreaterThan(100_000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
