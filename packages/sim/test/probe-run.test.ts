import { describe, expect, it } from 'vitest';
import { runProbe } from '../src/probe-run';

describe('a whole simulated run (durability probe on 5 nodes)', () => {
  it('replays a seed exactly: same trace digest, same outcome', async () => {
    const a = await runProbe({ seed: 77, nodes: 5, simulatedMs: 15_000 });
    const b = await runProbe({ seed: 77, nodes: 5, simulatedMs: 15_000 });
    const c = await runProbe({ seed: 78, nodes: 5, simulatedMs: 15_000 });
    expect(a.traceDigest).toBe(b.traceDigest);
    expect(a).toEqual(b);
    expect(c.traceDigest).not.toBe(a.traceDigest);
  });

  it('passes its checkers on a fixed set of seeds while injecting every kind of fault', async () => {
    const totals = { crashes: 0, pauses: 0, wallJumps: 0, partitions: 0, lossyStretches: 0, slowDiskStretches: 0, bitFlips: 0, corruptionDetected: 0 };
    for (let seed = 1; seed <= 8; seed++) {
      const r = await runProbe({ seed, nodes: 5, simulatedMs: 25_000 });
      expect(r.failure).toBeUndefined();
      expect(r.ok).toBe(true);
      for (const k of Object.keys(totals) as Array<keyof typeof totals>) totals[k] += r.faults[k];
    }
    for (const [kind, count] of Object.entries(totals)) expect(count, kind).toBeGreaterThan(0);
    expect(totals.corruptionDetected).toBe(totals.bitFlips);
  });

  it('catches a disk that lies about fsync: an acknowledged write is lost at a crash', async () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= 4; seed++) {
      const r = await runProbe({ seed, nodes: 5, simulatedMs: 20_000, disk: { slowWriteRate: 0, slowWriteMsMax: 0, fsyncLies: true }, faults: { bitFlips: false } });
      if (!r.ok) failures.push(r.failure!);
    }
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) expect(f).toMatch(/acknowledged append \d+ lost/);
  });

  it('catches a node that never comes back: liveness fails', async () => {
    // One node with a permanently cut link in both directions never hears its peers' pongs.
    const r = await runProbe({ seed: 5, nodes: 3, simulatedMs: 12_000, faults: { meanGapMs: 1e9 }, isolate: 3 });
    expect(r.ok).toBe(false);
    expect(r.failure).toMatch(/liveness/);
  });
});
