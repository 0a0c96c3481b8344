import { describe, expect, it } from 'vitest';
import { groupId, Prng } from '@ringkv/stdx';
import { CorruptionError, openKvEngine, openLogEngine, type LogEntry } from '@ringkv/storage';
import { Scheduler } from '../src/scheduler';
import { SimDisk } from '../src/sim-disk';
import { drive } from './drive';

const G = groupId(3);
const enc = new TextEncoder();

function entries(from: number, to: number): LogEntry[] {
  const out: LogEntry[] = [];
  for (let i = from; i <= to; i++) out.push({ index: i, term: 1, type: 'normal', data: enc.encode(`entry ${i}`) });
  return out;
}

describe('SimDisk with the real storage engines', () => {
  it('keeps synced log commits across a crash', async () => {
    const s = new Scheduler();
    const disk = new SimDisk(s, new Prng(1), 'log');
    await drive(s, async () => {
      const engine = await openLogEngine({ db: await disk.open() });
      const log = await engine.openGroup(G);
      for (let i = 0; i < 5; i++) {
        const b = engine.newBatch();
        b.append(log, entries(i * 10 + 1, i * 10 + 10));
        await engine.commit(b);
      }
    });
    disk.crash();
    const last = await drive(s, async () => {
      const engine = await openLogEngine({ db: await disk.open() });
      return (await engine.openGroup(G)).lastIndex();
    });
    expect(last).toBe(50);
  });

  it('loses a suffix of unsynced KV batches on a crash, never a middle one', async () => {
    const outcomes = new Set<number>();
    for (let seed = 1; seed <= 12; seed++) {
      const s = new Scheduler();
      const disk = new SimDisk(s, new Prng(seed), 'kv');
      await drive(s, async () => {
        const kv = await openKvEngine({ db: await disk.open() });
        for (let i = 1; i <= 8; i++) {
          const b = kv.newApplyBatch();
          b.put(G, enc.encode(`k${i}`), { value: `v${i}`, version: 1, createRevision: i, modRevision: i });
          b.setAppliedIndex(G, i);
          await kv.write(b);
        }
      });
      expect(disk.stats.volatileBatches).toBe(8);
      const { kept } = disk.crash();
      const found = await drive(s, async () => {
        const kv = await openKvEngine({ db: await disk.open() });
        const applied = await kv.appliedIndex(G);
        const present: boolean[] = [];
        for (let i = 1; i <= 8; i++) present.push((await kv.get(G, enc.encode(`k${i}`))) !== undefined);
        return { applied, present };
      });
      if (found === 'pending') throw new Error('reopen did not finish');
      expect(found.applied).toBe(kept);
      expect(found.present).toEqual(Array.from({ length: 8 }, (_, i) => i < kept));
      outcomes.add(kept);
    }
    expect(outcomes.size).toBeGreaterThan(2);
  });

  it('makes earlier unsynced writes durable with the next synced write', async () => {
    const s = new Scheduler();
    const disk = new SimDisk(s, new Prng(5), 'kv');
    await drive(s, async () => {
      const db = await disk.open();
      await db.put(enc.encode('a'), enc.encode('1'));
      await db.batch([{ type: 'put', key: enc.encode('b'), value: enc.encode('2') }], { sync: true } as never);
    });
    expect(disk.stats.syncedBatches).toBe(1);
    disk.crash();
    expect(disk.durableValue(enc.encode('a'))).toEqual(enc.encode('1'));
    expect(disk.durableValue(enc.encode('b'))).toEqual(enc.encode('2'));
  });

  it('delays slow writes through the scheduler, in order, and loses a write in flight at a crash', async () => {
    const s = new Scheduler();
    const disk = new SimDisk(s, new Prng(9), 'log', { slowWriteRate: 1, slowWriteMsMax: 200 });
    let engineReady = false;
    const commitDone: number[] = [];
    s.after(0, 'start', () => {
      void (async () => {
        const engine = await openLogEngine({ db: await disk.open() });
        const log = await engine.openGroup(G);
        engineReady = true;
        const b1 = engine.newBatch();
        b1.append(log, entries(1, 5));
        await engine.commit(b1);
        commitDone.push(s.nowMs);
        const b2 = engine.newBatch();
        b2.append(log, entries(6, 10));
        await engine.commit(b2);
        commitDone.push(s.nowMs);
      })();
    });
    await s.runUntil(0);
    expect(engineReady).toBe(true);
    // Run until the first commit lands, then crash while the second is in flight.
    while (commitDone.length === 0) await s.runUntil(s.nowMs + 1);
    expect(commitDone[0]).toBeGreaterThan(0);
    disk.crash();
    await s.runUntil(s.nowMs + 1000);
    expect(commitDone).toHaveLength(1);
    expect(disk.stats.lostInFlight).toBe(1);
    const last = await drive(s, async () => (await (await openLogEngine({ db: await disk.open() })).openGroup(G)).lastIndex());
    expect(last).toBe(5);
  });

  it('flips a bit in a stored log entry and the log engine refuses it on restart', async () => {
    const s = new Scheduler();
    const disk = new SimDisk(s, new Prng(3), 'log');
    await drive(s, async () => {
      const engine = await openLogEngine({ db: await disk.open() });
      const log = await engine.openGroup(G);
      const b = engine.newBatch();
      b.append(log, entries(1, 20));
      await engine.commit(b);
    });
    disk.crash();
    // Entry records are the group's most numerous keys; flip inside the entry values only.
    const flip = disk.flipBit((key) => key.length > 9);
    expect(flip).toBeDefined();
    await expect(
      drive(s, async () => (await openLogEngine({ db: await disk.open() })).openGroup(G)),
    ).rejects.toBeInstanceOf(CorruptionError);
  });

  it('flips a bit in a stored KV record and the KV engine refuses to serve it', async () => {
    for (let seed = 1; seed <= 5; seed++) {
      const s = new Scheduler();
      const disk = new SimDisk(s, new Prng(seed), 'kv');
      const key = enc.encode('the-key');
      await drive(s, async () => {
        const kv = await openKvEngine({ db: await disk.open(), sync: true });
        const b = kv.newApplyBatch();
        b.put(G, key, { value: 'precious value', version: 1, createRevision: 1, modRevision: 1 });
        await kv.write(b);
      });
      disk.crash();
      const durableBefore = disk.durableKeyCount;
      expect(durableBefore).toBe(1);
      expect(disk.flipBit()).toBeDefined();
      await expect(drive(s, async () => (await openKvEngine({ db: await disk.open() })).get(G, key))).rejects.toBeInstanceOf(CorruptionError);
    }
  });
});
