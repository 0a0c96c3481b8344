/**
 * The KV engine's write queue (`queueWrites`): write() updates the caches and queues the batch,
 * LevelDB gets the queue in one write at `queueOpsMax` operations or before anything reads or
 * changes LevelDB otherwise. Every read must see every write made before it, through the cache
 * or not; drops and imports must come after the queued changes they replace; a sync and a close
 * write the queue; a failed queue write stops the engine.
 */
import { describe, expect, it } from 'vitest';
import { groupId, utf8Encode } from '@ringkv/stdx';
import { LevelKvEngine, openKvEngine, openMemoryDb } from '../src/index';
import type { KvRecord, StorageDb } from '../src/index';
import { appliedKey, dataKey, sessionKey } from '../src/kv-keys';
import { failNextBatchWrite, holdNextGet } from './helpers';

const P = groupId(3);
const Q = groupId(4);
const k = (s: string): Uint8Array => utf8Encode(s);
const rec = (value: string, rev = 1): KvRecord => ({ value, version: 1, createRevision: rev, modRevision: rev });
const BYTES = { keyEncoding: 'view', valueEncoding: 'view' } as const;

/** One round: a put of `key` in partition p, its writer's session and the applied index. */
async function round(engine: LevelKvEngine, p: typeof P, key: string, value: string, index: number): Promise<void> {
  const b = engine.newApplyBatch();
  b.put(p, k(key), rec(value, index));
  b.setSession(p, 'writer', { lastSeq: index, answer: new Uint8Array([index & 0xff]), lastSeenMs: 1000 + index });
  b.setAppliedIndex(p, index);
  await engine.write(b);
}

/** A queued and a direct engine, each given rounds 1..n (key k<i>, value v<i>). */
async function queuedAndDirect(n: number): Promise<{ queued: LevelKvEngine; direct: LevelKvEngine }> {
  const queued = new LevelKvEngine(await openMemoryDb(), { cacheSizeBytes: 1 << 20, queueWrites: true });
  const direct = new LevelKvEngine(await openMemoryDb(), { cacheSizeBytes: 1 << 20 });
  for (let i = 1; i <= n; i++) {
    await round(queued, P, `k${i}`, `v${i}`, i);
    await round(direct, P, `k${i}`, `v${i}`, i);
  }
  return { queued, direct };
}

/** What LevelDB itself holds under a key (not through the engine, which would write its queue first). */
async function raw(db: StorageDb, key: Uint8Array): Promise<Uint8Array | undefined> {
  return db.get(key, BYTES);
}

describe('KV engine write queue', () => {
  it('keeps written batches out of LevelDB until the queue is due, and shows them to every read', async () => {
    const db = await openMemoryDb();
    // No value or session cache: every read goes to LevelDB, so it must write the queue first.
    const engine = new LevelKvEngine(db, { cacheSizeBytes: 0, sessionCacheEntriesMax: 0, queueWrites: true });
    await round(engine, P, 'a', 'one', 1);
    await round(engine, P, 'b', 'two', 2);
    expect(await raw(db, dataKey(P, k('a')))).toBeUndefined();
    expect(await raw(db, appliedKey(P))).toBeUndefined();

    expect((await engine.get(P, k('a')))?.value).toBe('one');
    expect(await raw(db, dataKey(P, k('b')))).toBeDefined(); // the whole queue went, in one write

    await round(engine, P, 'c', 'three', 3);
    expect((await engine.getMeta(P, k('c')))?.modRevision).toBe(3);
    await round(engine, P, 'd', 'four', 4);
    expect((await engine.scan(P, { prefix: new Uint8Array(0), limit: 10 })).map((i) => i.record.value)).toEqual(['one', 'two', 'three', 'four']);
    await round(engine, P, 'e', 'five', 5);
    expect((await engine.getSession(P, 'writer'))?.lastSeq).toBe(5);
    await round(engine, P, 'f', 'six', 6);
    expect((await engine.listSessions(P)).map((s) => s.session.lastSeq)).toEqual([6]);
    await round(engine, P, 'g', 'seven', 7);
    expect(await engine.appliedIndex(P)).toBe(7);
  });

  it('is what openKvEngine opens when asked for it, with the bound given', async () => {
    // Regression: openKvEngine once copied only the options it listed, so the nodes and the
    // simulator that asked for the queue ran without it.
    const db = await openMemoryDb();
    const engine = await openKvEngine({ db, queueWrites: true, queueOpsMax: 5 });
    await round(engine, P, 'a', 'one', 1);
    expect(engine.queueStats()).toEqual({ flushes: 0, queuedOps: 3 });
    expect(await raw(db, dataKey(P, k('a')))).toBeUndefined();
    await round(engine, P, 'b', 'two', 2);
    expect(engine.queueStats()).toEqual({ flushes: 0, queuedOps: 4 }); // one more record; the session and applied index replaced
    await round(engine, P, 'c', 'three', 3); // 5 operations: the queue goes
    expect(engine.queueStats()).toEqual({ flushes: 1, queuedOps: 0 });
    expect(await engine.appliedIndex(P)).toBe(3);
    expect(await raw(db, dataKey(P, k('c')))).toBeDefined();
    await engine.close();
  });

  it('reads a digest and the applied index it covers together, queued rounds included', async () => {
    const { queued: engine, direct } = await queuedAndDirect(3);
    expect(await engine.appliedDigest(P)).toEqual({ appliedIndex: 3, digest: await direct.digest(P) });
    expect(await engine.appliedDigest(Q)).toEqual({ appliedIndex: 0, digest: await direct.digest(Q) });
  });

  it('keeps the last of each session and applied index, encoded when the queue goes', async () => {
    const db = await openMemoryDb();
    const engine = new LevelKvEngine(db, { cacheSizeBytes: 1 << 20, queueWrites: true });
    for (let i = 1; i <= 4; i++) await round(engine, P, `k${i}`, `v${i}`, i);
    await round(engine, Q, 'q', 'other', 9);
    const gone = engine.newApplyBatch();
    gone.setSession(P, 'leaving', { lastSeq: 1, answer: new Uint8Array([1]), lastSeenMs: 1 });
    gone.setAppliedIndex(P, 5);
    await engine.write(gone);
    const deleted = engine.newApplyBatch();
    deleted.deleteSession(P, 'leaving');
    deleted.setAppliedIndex(P, 6);
    await engine.write(deleted);
    // Data: 5 records; sessions: P's writer and leaving, Q's writer; applied indexes: P and Q.
    expect(engine.queueStats().queuedOps).toBe(5 + 3 + 2);
    await engine.sync();
    expect(await raw(db, sessionKey(P, 'leaving'))).toBeUndefined();
    expect((await engine.getSession(P, 'writer'))?.lastSeq).toBe(4);
    expect((await engine.getSession(Q, 'writer'))?.lastSeq).toBe(9);
    expect(await engine.appliedIndex(P)).toBe(6);
    expect(await engine.appliedIndex(Q)).toBe(9);
    const cold = new LevelKvEngine(db, { cacheSizeBytes: 0, sessionCacheEntriesMax: 0 });
    expect((await cold.listSessions(P)).map((s) => [s.clientId, s.session.lastSeq])).toEqual([['writer', 4]]);
    expect((await cold.get(P, k('k4')))?.value).toBe('v4');
  });

  it('exports and digests what was written, queued or not', async () => {
    const { queued, direct } = await queuedAndDirect(5);
    expect(await queued.digest(P)).toBe(await direct.digest(P));
    await round(queued, P, 'late', 'x', 6);
    const copy = new LevelKvEngine(await openMemoryDb(), { cacheSizeBytes: 0 });
    await copy.importPartition(P, queued.exportPartition(P, 4096));
    expect(await copy.appliedIndex(P)).toBe(6);
    expect((await copy.get(P, k('late')))?.value).toBe('x');
  });

  it('writes the queue by itself at queueOpsMax operations, and holds a writer while the last full queue is still being written', async () => {
    const db = await openMemoryDb();
    const engine = new LevelKvEngine(db, { cacheSizeBytes: 1 << 20, queueWrites: true, queueOpsMax: 5 });
    // LevelDB's writes wait for `open` until the test says so.
    let open!: () => void;
    let gate = new Promise<void>((r) => (open = r));
    const originalBatch = db.batch.bind(db);
    (db as { batch: unknown }).batch = () => {
      const b = originalBatch();
      const write = b.write.bind(b);
      (b as { write: unknown }).write = async (options?: object) => {
        await gate;
        return write(options as never);
      };
      return b;
    };
    await round(engine, P, 'a', 'one', 1); // 3 operations queued
    await round(engine, P, 'b', 'two', 2); // 4: one more record, the session and applied index replaced
    expect(engine.queueStats()).toEqual({ flushes: 0, queuedOps: 4 });
    await round(engine, P, 'c', 'three', 3); // 5: handed to LevelDB, and nothing before it is in flight: no wait
    expect(engine.queueStats()).toEqual({ flushes: 1, queuedOps: 0 });
    await round(engine, P, 'd', 'four', 4);
    await round(engine, P, 'e', 'five', 5);
    let landed = false;
    const full = round(engine, P, 'f', 'six', 6).then(() => (landed = true)); // full again while the first is in flight
    await new Promise((r) => setTimeout(r, 20));
    expect(landed).toBe(false);
    expect(await raw(db, dataKey(P, k('a')))).toBeUndefined();
    open();
    gate = Promise.resolve();
    await full;
    expect(await raw(db, dataKey(P, k('c')))).toBeDefined();
    expect(await raw(db, dataKey(P, k('f')))).toBeDefined();
    expect(await raw(db, sessionKey(P, 'writer'))).toBeDefined();
  });

  it('drops and imports a partition after its queued changes, which never come back', async () => {
    const db = await openMemoryDb();
    const engine = new LevelKvEngine(db, { cacheSizeBytes: 1 << 20, queueWrites: true });
    await round(engine, P, 'a', 'one', 1);
    await round(engine, Q, 'q', 'other', 1);
    await engine.dropPartition(P);
    await round(engine, Q, 'q2', 'other2', 2);
    await engine.close();
    await db.open(); // a memory database keeps its data across close and open
    const reopened = new LevelKvEngine(db, { cacheSizeBytes: 0 });
    expect(await reopened.get(P, k('a'))).toBeUndefined();
    expect(await reopened.appliedIndex(P)).toBe(0);
    expect((await reopened.get(Q, k('q2')))?.value).toBe('other2');

    // An import replaces what the partition held, queued changes included.
    const source = new LevelKvEngine(await openMemoryDb(), { cacheSizeBytes: 0 });
    await round(source, P, 'imported', 'i', 9);
    const db2 = await openMemoryDb();
    const target = new LevelKvEngine(db2, { cacheSizeBytes: 1 << 20, queueWrites: true });
    await round(target, P, 'stale', 's', 3);
    await target.importPartition(P, source.exportPartition(P, 4096));
    expect(await target.get(P, k('stale'))).toBeUndefined();
    expect(await raw(db2, dataKey(P, k('stale')))).toBeUndefined();
    expect(await target.appliedIndex(P)).toBe(9);
  });

  it('writes the queue on sync and on close', async () => {
    const db = await openMemoryDb();
    const engine = new LevelKvEngine(db, { cacheSizeBytes: 1 << 20, queueWrites: true });
    await round(engine, P, 'a', 'one', 1);
    await engine.sync();
    expect(await raw(db, dataKey(P, k('a')))).toBeDefined();
    await round(engine, P, 'b', 'two', 2);
    expect(await raw(db, dataKey(P, k('b')))).toBeUndefined();
    await engine.close();
    await db.open();
    expect(await raw(db, dataKey(P, k('b')))).toBeDefined();
  });

  it('does not fill the cache from a read that raced a queued write', async () => {
    const db = await openMemoryDb();
    const setup = new LevelKvEngine(db, { cacheSizeBytes: 0 });
    await round(setup, P, 'r', 'old', 1);
    const engine = new LevelKvEngine(db, { cacheSizeBytes: 1 << 20, queueWrites: true });
    const held = holdNextGet(db);
    const racingRead = engine.get(P, k('r'));
    await held.started; // the read is in LevelDB now
    await round(engine, P, 'r', 'new', 2);
    held.release();
    expect((await racingRead)!.value).toBe('old');
    expect((engine.getCached(P, k('r')) as KvRecord).value).toBe('new');
    expect((await engine.get(P, k('r')))!.value).toBe('new');
  });

  it('stops at a failed queue write: every later call fails with its error', async () => {
    const db = await openMemoryDb();
    const engine = new LevelKvEngine(db, { cacheSizeBytes: 1 << 20, queueWrites: true });
    await round(engine, P, 'a', 'one', 1);
    const broken = new Error('disk full');
    failNextBatchWrite(db, broken);
    await expect(engine.sync()).rejects.toBe(broken);
    await expect(round(engine, P, 'b', 'two', 2)).rejects.toBe(broken);
    await expect(engine.get(P, k('zzz'))).rejects.toBe(broken);
    expect(() => engine.dropPartition(P)).toThrow(broken);
  });

  it('never writes a queue behind one that failed (no applied index past data LevelDB lacks)', async () => {
    const db = await openMemoryDb();
    const engine = new LevelKvEngine(db, { cacheSizeBytes: 1 << 20, queueWrites: true, queueOpsMax: 3 });
    const broken = new Error('disk full');
    // The first LevelDB write is refused, any later one would succeed.
    failNextBatchWrite(db, broken);
    // 3 operations: a full queue, handed to LevelDB, which refuses it; nothing was in flight
    // before it, so this writer does not wait (the failure reaches the calls after it).
    const first = round(engine, P, 'a', 'one', 1);
    const second = round(engine, P, 'b', 'two', 2); // full again behind it before it failed: waits, and fails
    await first;
    await expect(second).rejects.toBe(broken);
    await expect(round(engine, P, 'c', 'three', 3)).rejects.toBe(broken);
    expect(await raw(db, dataKey(P, k('b')))).toBeUndefined();
    expect(await raw(db, appliedKey(P))).toBeUndefined();
  });

  it('refuses to queue the writes of an engine that syncs each one', async () => {
    expect(() => new LevelKvEngine({} as StorageDb, { cacheSizeBytes: 0, sync: true, queueWrites: true })).toThrow(/cannot queue/);
  });
});
