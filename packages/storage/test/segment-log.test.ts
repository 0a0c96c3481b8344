import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Prng, groupId, nodeId } from '@ringkv/stdx';
import type { GroupId } from '@ringkv/stdx';
import { CorruptionError, MemorySegmentDirectory, openSegmentLogEngine, segmentName } from '../src/index';
import type { GroupLog, LogEntry, LogSnapshot , SegmentRaftLogEngine} from '../src/index';
import { fingerprint, readState } from './fixtures/log-fingerprint';
import type { LogState } from './fixtures/log-fingerprint';

const CONF = { voters: [nodeId(1), nodeId(2), nodeId(3)], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
const G = [1, 2, 3, 4].map(groupId);

function meta(index: number, term: number): LogSnapshot['metadata'] {
  return { index, term, confState: CONF };
}

function entry(index: number, term: number, bytes: number, prng: Prng): LogEntry {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) data[i] = prng.int(256);
  return { index, term, type: prng.int(20) === 0 ? 'confChange' : 'normal', data };
}

/** Where a segment's records end: the first header that is not a whole record (zeros, or nothing). */
function recordsEnd(bytes: Uint8Array): number {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at + 8 <= bytes.length) {
    const length = view.readUInt32LE(at);
    if (length === 0 || at + 8 + length > bytes.length) break;
    at += 8 + length;
  }
  return at;
}

function allZero(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}

async function states(engine: SegmentRaftLogEngine, groups: readonly GroupId[]): Promise<string> {
  const out: LogState[] = [];
  for (const g of groups) out.push(readState(await engine.openGroup(g)));
  return fingerprint(out);
}

/**
 * One random round for every group in `groups`: appends (sometimes overwriting a suffix with a
 * higher term), hard states, compactions once a log passes `compactAt` entries, now and then a
 * snapshot. Returns the batch, already staged.
 */
function randomRound(engine: SegmentRaftLogEngine, logs: GroupLog[], prng: Prng, compactAt: number, entryBytes: number) {
  const batch = engine.newBatch();
  for (const log of logs) {
    if (prng.int(3) === 0) continue;
    const first = log.firstIndex();
    let last = log.lastIndex();
    let lastTerm = log.term(last);
    let snapIndex = first - 1;
    if (prng.int(50) === 0) {
      // A snapshot from a leader: the log restarts beyond what this one holds.
      snapIndex = last + 1 + prng.int(10);
      lastTerm += 1;
      batch.applySnapshot(log, { metadata: meta(snapIndex, lastTerm), data: new Uint8Array(0) });
      last = snapIndex;
    } else if (last - first + 1 > compactAt) {
      snapIndex = last - Math.floor(compactAt / 4);
      batch.compact(log, snapIndex, meta(snapIndex, log.term(snapIndex)));
    }
    // Now and then overwrite a suffix (a new leader's entries), with a higher term.
    const back = last > snapIndex && prng.int(8) === 0 ? 1 + prng.int(Math.min(3, last - snapIndex)) : 0;
    const from = last + 1 - back;
    const term = back > 0 ? lastTerm + 1 : Math.max(1, lastTerm);
    const fresh: LogEntry[] = [];
    for (let i = 0, n = 1 + prng.int(6); i < n; i++) fresh.push(entry(from + i, term, prng.int(entryBytes), prng));
    batch.append(log, fresh);
    batch.setHardState(log, { term, vote: nodeId(1 + prng.int(3)), commit: from - 1 });
  }
  return batch;
}

describe('segment log: a model of every group, across rotations, reopens and crashes', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) {
    it(`seed ${seed}: reopened state is the last synced commit or a later one, never a part of one`, async () => {
      const prng = new Prng(20261205 + seed);
      const dir = new MemorySegmentDirectory();
      // Odd seeds refill the zeros ahead of the records as they go; even ones zero each new segment whole.
      const options = { segmentBytes: 8 * 1024, segmentsMax: 4, preallocateBytes: seed % 2 === 1 ? 2048 : undefined };
      let engine = await openSegmentLogEngine({ directory: dir, ...options });
      let logs = await Promise.all(G.map((g) => engine.openGroup(g)));
      let synced = await states(engine, G);
      let since: string[] = [];
      let rotations = 0;
      for (let round = 0; round < 400; round++) {
        const sync = prng.int(4) !== 0;
        const segmentBefore = engine.stats().currentSegment;
        await engine.commit(randomRound(engine, logs, prng, 20 + prng.int(20), 300), { sync });
        if (engine.stats().currentSegment !== segmentBefore) rotations++;
        const now = await states(engine, G);
        if (sync || engine.stats().currentSegment !== segmentBefore) {
          synced = now;
          since = [];
        } else {
          since.push(now);
        }
        const event = prng.int(40);
        if (event === 0) {
          // A clean reopen: everything written is there, and durable (close syncs).
          await engine.close();
          engine = await openSegmentLogEngine({ directory: dir, ...options });
          logs = await Promise.all(G.map((g) => engine.openGroup(g)));
          expect(await states(engine, G)).toBe(now);
          synced = now;
          since = [];
        } else if (event === 1) {
          // Power failure: unsynced bytes lost, with a torn piece of them kept now and then.
          await engine.close();
          dir.crash((_name, unsynced) => (prng.int(2) === 0 ? prng.int(unsynced + 1) : 0));
          engine = await openSegmentLogEngine({ directory: dir, ...options });
          logs = await Promise.all(G.map((g) => engine.openGroup(g)));
          const found = await states(engine, G);
          expect([synced, ...since], `round ${round}`).toContain(found);
          synced = found;
          since = [];
        }
      }
      expect(rotations).toBeGreaterThan(10);
      // Dead segments are deleted: a handful remain, however long the run.
      expect(engine.stats().segments).toBeLessThanOrEqual(4);
      expect(dir.list().length).toBe(engine.stats().segments);
      await engine.close();
    });
  }
});

describe('segment log: segments and their deletion', () => {
  it('rotates and deletes segments on a real disk from a new directory on', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ringkv-segments-'));
    try {
      const prng = new Prng(6);
      const path = join(root, 'wal');
      const engine = await openSegmentLogEngine({ path, segmentBytes: 4096 });
      const log = await engine.openGroup(groupId(1));
      for (let i = 1; i <= 200; i++) {
        const b = engine.newBatch();
        if (log.lastIndex() - log.firstIndex() > 10) b.compact(log, log.lastIndex() - 2, meta(log.lastIndex() - 2, 1));
        b.append(log, [entry(i, 1, 100, prng)]);
        await engine.commit(b);
      }
      expect(engine.stats().currentSegment).toBeGreaterThan(3);
      expect(engine.stats().bytesPreallocated).toBeGreaterThan(0);
      expect(engine.stats().preallocationError).toBeUndefined();
      await engine.close();
      const names = (await readdir(path)).sort();
      expect(names.length).toBeLessThanOrEqual(2);
      // Each segment was zeroed whole at its creation (4096 bytes < the default 4 MiB ahead); the
      // one left behind ends at its last record, the newest in zeros.
      const files = await Promise.all(names.map(async (n) => new Uint8Array(await readFile(join(path, n)))));
      for (const bytes of files.slice(0, -1)) expect(recordsEnd(bytes)).toBe(bytes.length);
      const newest = files[files.length - 1]!;
      expect(newest.length).toBeGreaterThanOrEqual(4096);
      expect(allZero(newest.subarray(recordsEnd(newest)))).toBe(true);
      const reopened = await openSegmentLogEngine({ path, segmentBytes: 4096 });
      expect((await reopened.openGroup(groupId(1))).lastIndex()).toBe(200);
      await reopened.close();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('rewrites a cold group that pins the oldest segment, so segments are still deleted, and keeps its log', async () => {
    const prng = new Prng(7);
    const dir = new MemorySegmentDirectory();
    const engine = await openSegmentLogEngine({ directory: dir, segmentBytes: 4096, segmentsMax: 3 });
    const cold = await engine.openGroup(groupId(9));
    let b = engine.newBatch();
    b.append(cold, [entry(1, 1, 50, prng), entry(2, 1, 50, prng)]);
    b.setHardState(cold, { term: 1, vote: nodeId(1), commit: 2 });
    await engine.commit(b);
    const coldBefore = fingerprint([readState(cold)]);
    const hot = await engine.openGroup(groupId(1));
    for (let i = 1; i <= 300; i++) {
      b = engine.newBatch();
      if (hot.lastIndex() - hot.firstIndex() > 10) b.compact(hot, hot.lastIndex() - 2, meta(hot.lastIndex() - 2, 1));
      b.append(hot, [entry(hot.lastIndex() + 1, 1, 200, prng)]);
      await engine.commit(b);
    }
    expect(engine.stats().currentSegment).toBeGreaterThan(10);
    expect(dir.list().length).toBeLessThanOrEqual(3);
    expect(engine.stats().bytesRewritten).toBeGreaterThan(0);
    await engine.close();
    const reopened = await openSegmentLogEngine({ directory: dir, segmentBytes: 4096 });
    expect(fingerprint([readState(await reopened.openGroup(groupId(9)))])).toBe(coldBefore);
    expect((await reopened.openGroup(groupId(1))).lastIndex()).toBe(300);
    expect(await reopened.listGroups()).toEqual([groupId(1), groupId(9)]);
  });

  it('drops a group for good, also across a reopen', async () => {
    const prng = new Prng(8);
    const dir = new MemorySegmentDirectory();
    const engine = await openSegmentLogEngine({ directory: dir });
    for (const g of [groupId(1), groupId(2)]) {
      const b = engine.newBatch();
      b.append(await engine.openGroup(g), [entry(1, 1, 10, prng)]);
      await engine.commit(b);
    }
    const dropped = await engine.openGroup(groupId(1));
    await engine.dropGroup(groupId(1));
    expect(() => dropped.lastIndex()).toThrow(/dropped/);
    expect(await engine.listGroups()).toEqual([groupId(2)]);
    await engine.close();
    const reopened = await openSegmentLogEngine({ directory: dir });
    expect(await reopened.listGroups()).toEqual([groupId(2)]);
    expect((await reopened.openGroup(groupId(1))).lastIndex()).toBe(0);
  });

  it('continues in the previous segment when the newest one was being created at the crash', async () => {
    const prng = new Prng(9);
    const dir = new MemorySegmentDirectory();
    const engine = await openSegmentLogEngine({ directory: dir, segmentBytes: 1 << 20 });
    const log = await engine.openGroup(groupId(1));
    const b = engine.newBatch();
    b.append(log, [entry(1, 1, 100, prng), entry(2, 1, 100, prng)]);
    await engine.commit(b);
    const before = fingerprint([readState(log)]);
    await engine.close();
    // A half-written first record of segment 2, its directory entry durable.
    const torn = dir.create(segmentName(2));
    torn.writeAt(Uint8Array.of(200, 0, 0, 0, 1, 2, 3, 4, 1, 0), 10, 0);
    await dir.syncDirectory();
    const reopened = await openSegmentLogEngine({ directory: dir, segmentBytes: 1 << 20 });
    expect(dir.list()).toEqual([segmentName(1)]);
    const again = await reopened.openGroup(groupId(1));
    expect(fingerprint([readState(again)])).toBe(before);
    const c = reopened.newBatch();
    c.append(again, [entry(3, 1, 100, prng)]);
    await reopened.commit(c);
    await reopened.close();
    expect((await (await openSegmentLogEngine({ directory: dir })).openGroup(groupId(1))).lastIndex()).toBe(3);
  });

  it('cuts a torn tail off the newest segment, and reports damage anywhere else as corruption', async () => {
    const prng = new Prng(10);
    const dir = new MemorySegmentDirectory();
    const engine = await openSegmentLogEngine({ directory: dir, segmentBytes: 2048, segmentsMax: 64 });
    const log = await engine.openGroup(groupId(1));
    for (let i = 1; i <= 40; i++) {
      const b = engine.newBatch();
      b.append(log, [entry(i, 1, 200, prng)]);
      await engine.commit(b);
    }
    await engine.close();
    const names = dir.list().sort();
    expect(names.length).toBeGreaterThan(2);

    // The newest segment's last record torn: the log ends one entry earlier.
    const newest = names[names.length - 1]!;
    const end = recordsEnd(await dir.readAll(newest));
    expect(end).toBeLessThan((await dir.readAll(newest)).length); // zeros follow
    dir.flip(newest, end - 3);
    const cut = await openSegmentLogEngine({ directory: dir, segmentBytes: 2048, segmentsMax: 64 });
    expect((await cut.openGroup(groupId(1))).lastIndex()).toBe(39);
    await cut.close();
    // Its bytes were zeroed: nothing of it is read again.
    const after = await dir.readAll(newest);
    const newEnd = recordsEnd(after);
    expect(newEnd).toBeLessThan(end);
    expect(allZero(after.subarray(newEnd))).toBe(true);

    // A record in the middle of the newest segment damaged: intact records follow, so it is not a torn write.
    for (const at of [30, newEnd - 300]) {
      dir.flip(newest, at);
      await expect(openSegmentLogEngine({ directory: dir, segmentBytes: 2048, segmentsMax: 64 }), `byte ${at}`).rejects.toThrow(/intact/);
      dir.flip(newest, at);
    }

    dir.flip(names[1]!, 40);
    await expect(openSegmentLogEngine({ directory: dir, segmentBytes: 2048, segmentsMax: 64 })).rejects.toThrow(CorruptionError);
  });

  it('makes what it replays durable: a process that died without syncing, then a power failure', async () => {
    const prng = new Prng(12);
    const dir = new MemorySegmentDirectory();
    const dead = await openSegmentLogEngine({ directory: dir });
    const b = dead.newBatch();
    b.append(await dead.openGroup(groupId(1)), [entry(1, 1, 10, prng)]);
    b.setHardState(await dead.openGroup(groupId(1)), { term: 1, vote: nodeId(2), commit: 0 });
    await dead.commit(b, { sync: false });
    // The process is gone (no close); the next one replays the unsynced record and acts on it.
    const next = await openSegmentLogEngine({ directory: dir });
    expect((await next.openGroup(groupId(1))).initialState().hardState.vote).toBe(2);
    dir.crash();
    const after = await openSegmentLogEngine({ directory: dir });
    expect((await after.openGroup(groupId(1))).initialState().hardState.vote).toBe(2);
    expect((await after.openGroup(groupId(1))).lastIndex()).toBe(1);
  });

  it('stops writing after a failed sync: memory keeps the durable view, and later commits say why', async () => {
    const prng = new Prng(11);
    const dir = new MemorySegmentDirectory();
    const engine = await openSegmentLogEngine({ directory: dir });
    const log = await engine.openGroup(groupId(1));
    let b = engine.newBatch();
    b.append(log, [entry(1, 1, 10, prng)]);
    await engine.commit(b);
    dir.failNextSync = new Error('EIO: disk failed');
    b = engine.newBatch();
    b.append(log, [entry(2, 1, 10, prng)]);
    await expect(engine.commit(b)).rejects.toThrow('EIO');
    expect(log.lastIndex()).toBe(1);
    b = engine.newBatch();
    b.append(log, [entry(2, 1, 10, prng)]);
    await expect(engine.commit(b)).rejects.toThrow(/could not be written \(EIO: disk failed\).*restarts/);
  });
});

describe('segment log: zeros written ahead of the records', () => {
  const entryOf = (prng: Prng) => (i: number) => entry(i, 1, 400 + prng.int(200), prng);

  /** Commits one entry to group 1; with `compact`, the log keeps its last few entries (old segments die). */
  async function commitOne(engine: SegmentRaftLogEngine, e: LogEntry, compact = false): Promise<void> {
    const log = await engine.openGroup(groupId(1));
    const b = engine.newBatch();
    if (compact && log.lastIndex() - log.firstIndex() > 10) b.compact(log, log.lastIndex() - 2, meta(log.lastIndex() - 2, 1));
    b.append(log, [e]);
    await engine.commit(b);
  }

  /** Every named segment ends at its last record (no zeros after it). */
  async function expectRecordsOnly(dir: MemorySegmentDirectory, names: readonly string[]): Promise<void> {
    for (const n of names) {
      const bytes = await dir.readAll(n);
      expect(recordsEnd(bytes), n).toBe(bytes.length);
    }
  }

  it('writes every record over synced zeros, refilling them ahead, and cuts a segment it leaves to its records', async () => {
    const prng = new Prng(13);
    const dir = new MemorySegmentDirectory();
    const options = { segmentBytes: 32 * 1024, preallocateBytes: 8 * 1024 };
    const engine = await openSegmentLogEngine({ directory: dir, ...options });
    const next = entryOf(prng);
    let overZeros = 0;
    let extending = 0;
    for (let i = 1; i <= 300; i++) {
      const name = segmentName(engine.stats().currentSegment);
      const lengthBefore = (await dir.readAll(name)).length;
      await commitOne(engine, next(i), true);
      const bytes = await dir.readAll(name);
      const end = recordsEnd(bytes);
      // The record landed where the file already was: no new size to sync. Only the record that
      // passes segmentBytes (zeros never go past it) makes the file longer.
      if (end <= lengthBefore) overZeros++;
      else {
        extending++;
        expect(end).toBeGreaterThan(options.segmentBytes);
      }
      if (engine.stats().currentSegment === Number(name.slice(0, 16))) {
        expect(bytes.length - end, `commit ${i}`).toBeGreaterThan(0);
        expect(allZero(bytes.subarray(end))).toBe(true);
      }
    }
    expect(engine.stats().currentSegment).toBeGreaterThan(4);
    expect(extending).toBeLessThan(engine.stats().currentSegment);
    expect(overZeros).toBeGreaterThan(280);
    expect(engine.stats().bytesPreallocated).toBeGreaterThan(3 * options.segmentBytes);
    await engine.close();
    await expectRecordsOnly(dir, dir.list().sort().slice(0, -1));
    const reopened = await openSegmentLogEngine({ directory: dir, ...options });
    expect((await reopened.openGroup(groupId(1))).lastIndex()).toBe(300);
    await reopened.close();
  });

  it('a torn record in the zeros: the log ends before it, its bytes are zeroed, and the log goes on there', async () => {
    const prng = new Prng(14);
    const dir = new MemorySegmentDirectory();
    const options = { segmentBytes: 64 * 1024, preallocateBytes: 16 * 1024 };
    let engine = await openSegmentLogEngine({ directory: dir, ...options });
    const next = entryOf(prng);
    for (let i = 1; i <= 5; i++) await commitOne(engine, next(i));
    await engine.close();
    const name = segmentName(1);
    const end = recordsEnd(await dir.readAll(name));
    // As a power failure leaves a record whose write had not been synced: its first bytes, then the zeros.
    const torn = new Uint8Array(300);
    Buffer.from(torn.buffer).writeUInt32LE(500, 0);
    for (let i = 4; i < torn.length; i++) torn[i] = 1 + prng.int(255);
    const f = dir.open(name);
    f.writeAt(torn, torn.length, end);
    f.close();
    // And a stray byte further on in the zeros.
    dir.flip(name, end + 5000);

    engine = await openSegmentLogEngine({ directory: dir, ...options });
    expect((await engine.openGroup(groupId(1))).lastIndex()).toBe(5);
    const bytes = await dir.readAll(name);
    expect(recordsEnd(bytes)).toBe(end);
    expect(allZero(bytes.subarray(end))).toBe(true);
    for (let i = 6; i <= 7; i++) await commitOne(engine, next(i));
    await engine.close();
    const again = await openSegmentLogEngine({ directory: dir, ...options });
    expect((await again.openGroup(groupId(1))).lastIndex()).toBe(7);
    await again.close();
  });

  it('after a restart with smaller segments, the segment it leaves is cut to its records', async () => {
    const prng = new Prng(15);
    const dir = new MemorySegmentDirectory();
    const next = entryOf(prng);
    let engine = await openSegmentLogEngine({ directory: dir, segmentBytes: 1 << 20, preallocateBytes: 64 * 1024 });
    for (let i = 1; i <= 3; i++) await commitOne(engine, next(i));
    await engine.close();
    expect((await dir.readAll(segmentName(1))).length).toBeGreaterThan(64 * 1024);
    engine = await openSegmentLogEngine({ directory: dir, segmentBytes: 4096, preallocateBytes: 1024 });
    for (let i = 4; i <= 20; i++) await commitOne(engine, next(i));
    expect(engine.stats().currentSegment).toBeGreaterThan(1);
    await engine.close();
    await expectRecordsOnly(dir, [segmentName(1)]);
    const reopened = await openSegmentLogEngine({ directory: dir, segmentBytes: 4096 });
    expect((await reopened.openGroup(groupId(1))).lastIndex()).toBe(20);
    await reopened.close();
  });

  it('a failed preallocation: the log goes on without zeros, says why in its stats, and reopens whole', async () => {
    const prng = new Prng(16);
    const dir = new MemorySegmentDirectory();
    const options = { segmentBytes: 16 * 1024, preallocateBytes: 4 * 1024 };
    const told: string[] = [];
    const engine = await openSegmentLogEngine({ directory: dir, ...options, onPreallocationFailed: (why) => told.push(why) });
    const next = entryOf(prng);
    dir.failNextPreallocate = new Error('ENOSPC: no space left on device');
    for (let i = 1; i <= 100; i++) await commitOne(engine, next(i), true);
    expect(engine.stats().preallocationError).toBe('ENOSPC: no space left on device');
    expect(told).toEqual(['ENOSPC: no space left on device']);
    expect(engine.stats().currentSegment).toBeGreaterThan(2);
    await engine.close();
    // No zeros after the failure: every segment holds records only (the failed one's half-written
    // zeros were cut when the log left it).
    await expectRecordsOnly(dir, dir.list());
    const reopened = await openSegmentLogEngine({ directory: dir, ...options });
    expect((await reopened.openGroup(groupId(1))).lastIndex()).toBe(100);
    await reopened.close();
  });

  it('preallocateBytes 0: a segment holds its records and nothing else', async () => {
    const prng = new Prng(17);
    const dir = new MemorySegmentDirectory();
    const engine = await openSegmentLogEngine({ directory: dir, preallocateBytes: 0 });
    const next = entryOf(prng);
    for (let i = 1; i <= 5; i++) {
      await commitOne(engine, next(i));
      await expectRecordsOnly(dir, [segmentName(1)]);
    }
    expect(engine.stats().bytesPreallocated).toBe(0);
    await engine.close();
  });
});

describe('MemorySegmentDirectory: what a power failure leaves of a file written over preallocated zeros', () => {
  it('the synced bytes, a prefix of the unsynced write, and the zeros as they were synced after it', async () => {
    for (const keep of [0, 50, 200, 5000]) {
      const dir = new MemorySegmentDirectory();
      const f = dir.create('a');
      await dir.syncDirectory();
      f.writeAt(new Uint8Array(100).fill(7), 100, 0);
      await f.preallocate(100, 1000);
      f.writeAt(new Uint8Array(200).fill(9), 200, 100); // not synced
      dir.crash(() => keep);
      const bytes = await dir.readAll('a');
      expect(bytes.length, `keep ${keep}`).toBe(1000);
      const kept = Math.min(keep, 200);
      expect(allZero(bytes.subarray(0, 100).map((b) => b - 7))).toBe(true);
      expect(allZero(bytes.subarray(100, 100 + kept).map((b) => b - 9))).toBe(true);
      expect(allZero(bytes.subarray(100 + kept))).toBe(true);
    }
  });

  it('an appended write past the synced length is cut where the tear falls', async () => {
    const dir = new MemorySegmentDirectory();
    const f = dir.create('a');
    await dir.syncDirectory();
    f.writeAt(new Uint8Array(100).fill(7), 100, 0);
    await f.sync();
    f.writeAt(new Uint8Array(100).fill(9), 100, 100);
    dir.crash(() => 30);
    expect((await dir.readAll('a')).length).toBe(130);
  });
});
