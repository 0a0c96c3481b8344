import { describe, expect, it } from 'vitest';
import { groupId, nodeId, Prng, utf8Encode } from '@ringkv/stdx';
import { openKvEngine, openMemoryDb, type KvEngine } from '@ringkv/storage';
import { LiveKvFlips } from '../src/live-kv-flips';
import { Scheduler } from '../src/scheduler';

/** A KV engine with a few records in partitions 0 and 1, and a flipper aimed at its database. */
async function setup(digestLies: boolean) {
  const scheduler = new Scheduler();
  const db = await openMemoryDb();
  const kvEngine = await openKvEngine({ db, cacheSizeBytes: 0 });
  const batch = kvEngine.newApplyBatch();
  for (let i = 0; i < 8; i++) batch.put(groupId(i % 2), utf8Encode(`k${i}`), { value: `value-${i}`, version: 1, createRevision: i + 1, modRevision: i + 1 });
  await kvEngine.write(batch);
  // An engine whose full read passes whatever the bytes: what an engine without checksums would do.
  const engine: KvEngine = digestLies ? ({ ...kvEngine, digest: async () => 'fine' } as unknown as KvEngine) : kvEngine;
  const flips = new LiveKvFlips(scheduler, new Prng(3), nodeId(2), () => ({ kvDb: db, kvEngine: engine, quarantined: () => false }), { meanGapMs: 100, faultEndMs: 1_000, partitions: 2 });
  flips.install();
  await scheduler.runUntil(1_000);
  return { flips, kvEngine };
}

describe('LiveKvFlips', () => {
  it('flips records under a running engine, which then refuses to read them', async () => {
    const { flips, kvEngine } = await setup(false);
    expect(flips.counts.injected).toBeGreaterThan(1);
    expect(await flips.verify()).toBeUndefined();
    // A record flipped twice counts its first flip as healed (the bytes it left are gone).
    expect(flips.counts.latent).toBeGreaterThan(0);
    expect(flips.counts.latent + flips.counts.healed).toBe(flips.counts.injected);
    expect(flips.mayBeCorrupt(nodeId(2), 0) || flips.mayBeCorrupt(nodeId(2), 1)).toBe(true);
    expect(flips.mayBeCorrupt(nodeId(1), 0)).toBe(false);
    const reads = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => kvEngine.get(groupId(i % 2), utf8Encode(`k${i}`))));
    expect(reads.some((r) => r.status === 'rejected' && (r.reason as Error).name === 'CorruptionError')).toBe(true);
  });

  it('fails the run when a flipped record would pass a full read of its partition', async () => {
    const { flips } = await setup(true);
    expect(await flips.verify()).toMatch(/bit flip not detectable: node 2 partition [01] holds flipped bytes/);
  });
});
