import { describe, expect, it } from 'vitest';
import { groupId, Prng } from '@ringkv/stdx';
import { CorruptionError, openSegmentLogEngine, type LogEntry } from '@ringkv/storage';
import { Scheduler } from '../src/scheduler';
import { SimSegmentDisk } from '../src/sim-segment-disk';
import { drive } from './drive';

const G = groupId(3);
const enc = new TextEncoder();

function entries(from: number, to: number): LogEntry[] {
  const out: LogEntry[] = [];
  for (let i = from; i <= to; i++) out.push({ index: i, term: 1, type: 'normal', data: enc.encode(`entry ${i}`.padEnd(100, '.')) });
  return out;
}

const lastIndex = (s: Scheduler, disk: SimSegmentDisk, segmentBytes = 2048) =>
  drive(s, async () => (await (await openSegmentLogEngine({ directory: disk.open(), segmentBytes })).openGroup(G)).lastIndex());

/** Commits batches of 10 entries, `synced` of them synced, then `unsynced` more without sync. */
async function write(s: Scheduler, disk: SimSegmentDisk, synced: number, unsynced: number, segmentBytes = 2048): Promise<void> {
  await drive(s, async () => {
    const engine = await openSegmentLogEngine({ directory: disk.open(), segmentBytes });
    const log = await engine.openGroup(G);
    for (let i = 0; i < synced + unsynced; i++) {
      const b = engine.newBatch();
      const from = log.lastIndex() + 1;
      b.append(log, entries(from, from + 9));
      await engine.commit(b, { sync: i < synced });
    }
  });
}

describe('SimSegmentDisk under the segment log engine', () => {
  it('keeps every synced commit across a crash, through segment rotations', async () => {
    const s = new Scheduler();
    const disk = new SimSegmentDisk(s, new Prng(1), 'log');
    await write(s, disk, 20, 0);
    disk.crash();
    expect(await lastIndex(s, disk)).toBe(200);
  });

  it('tears unsynced commits at any byte: the log keeps whole commits only, at least the synced ones', async () => {
    const found = new Set<number>();
    for (let seed = 1; seed <= 30; seed++) {
      const s = new Scheduler();
      const disk = new SimSegmentDisk(s, new Prng(seed), 'log');
      await write(s, disk, 3, 4, 1 << 20);
      disk.crash();
      const last = await lastIndex(s, disk, 1 << 20);
      expect(last === 'pending' ? -1 : last % 10, `seed ${seed}`).toBe(0);
      expect(last).toBeGreaterThanOrEqual(30);
      expect(last).toBeLessThanOrEqual(70);
      found.add(last as number);
      expect(disk.stats.tornBytesKept + disk.stats.bytesLost).toBeGreaterThan(0);
    }
    // Some crashes kept part of the unsynced tail, some none of it.
    expect(found.size).toBeGreaterThan(2);
  });

  it('never completes a sync the crash overtook (a slow disk)', async () => {
    const s = new Scheduler();
    const disk = new SimSegmentDisk(s, new Prng(2), 'log', { slowWriteRate: 1, slowWriteMsMax: 50 });
    let acked = 0;
    s.after(0, 'writer', () => {
      void (async () => {
        const engine = await openSegmentLogEngine({ directory: disk.open(), segmentBytes: 1 << 20 });
        const log = await engine.openGroup(G);
        for (;;) {
          const b = engine.newBatch();
          b.append(log, entries(log.lastIndex() + 1, log.lastIndex() + 10));
          await engine.commit(b);
          acked = log.lastIndex();
        }
      })();
    });
    await s.runUntil(500);
    disk.crash();
    const ackedAtCrash = acked;
    await s.runUntil(1000);
    expect(acked).toBe(ackedAtCrash);
    expect(disk.stats.lostInFlight).toBe(1);
    const last = await lastIndex(s, disk, 1 << 20);
    expect(last).toBeGreaterThanOrEqual(ackedAtCrash);
  });

  it('makes a flipped bit refuse the boot, and a repair lets it through', async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const s = new Scheduler();
      const disk = new SimSegmentDisk(s, new Prng(seed), 'log');
      await write(s, disk, 25, 0);
      disk.crash();
      const flip = disk.flipBit();
      expect(flip).toBeDefined();
      await expect(lastIndex(s, disk), `seed ${seed}: ${JSON.stringify(flip)}`).rejects.toThrow(CorruptionError);
      expect(disk.repair(flip!)).toBe(true);
      expect(await lastIndex(s, disk)).toBe(250);
    }
  });
});
