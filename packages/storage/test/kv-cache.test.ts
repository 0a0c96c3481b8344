import { describe, expect, it } from 'vitest';
import { groupId, utf8Encode } from '@ringkv/stdx';
import { LevelKvEngine, NOT_CACHED, openMemoryDb, openMemoryKvEngine } from '../src/index';
import { keySlot } from '../src/key-slot';
import type { KvRecord } from '../src/index';
import { holdNextGet } from './helpers';

const P = groupId(5);
const k = (s: string): Uint8Array => utf8Encode(s);
const rec = (value: string, rev = 1): KvRecord => ({ value, version: 1, createRevision: rev, modRevision: rev });
const BYTES = { keyEncoding: 'view', valueEncoding: 'view' } as const;

describe('value cache', () => {
  it('counts hits and misses, remembers absent keys and writes through', async () => {
    const engine = await openMemoryKvEngine({ cacheSizeBytes: 1 << 20 });
    expect(engine.getCached(P, k('a'))).toBe(NOT_CACHED);
    expect(await engine.get(P, k('a'))).toBeUndefined();
    expect(engine.cacheStats()).toMatchObject({ hits: 0, misses: 2 });
    expect(engine.getCached(P, k('a'))).toBeUndefined();
    expect(engine.cacheStats()).toMatchObject({ hits: 1, misses: 2, entries: 1 });
    const b = engine.newApplyBatch();
    b.put(P, k('a'), rec('one'));
    await engine.write(b);
    expect((engine.getCached(P, k('a')) as KvRecord).value).toBe('one');
    const d = engine.newApplyBatch();
    d.delete(P, k('a'));
    await engine.write(d);
    expect(engine.getCached(P, k('a'))).toBeUndefined();
    expect(await engine.get(P, k('a'))).toBeUndefined();
    expect(engine.cacheStats()).toMatchObject({ hits: 4, misses: 2 });
    await engine.close();
  });

  it('serves gets from the cache without reading the database', async () => {
    const db = await openMemoryDb();
    const engine = new LevelKvEngine(db, { cacheSizeBytes: 1 << 20 });
    const b = engine.newApplyBatch();
    b.put(P, k('hot'), rec('cached'));
    await engine.write(b);
    // Change the database behind the engine's back: a cached get must not see it.
    await db.del(new Uint8Array([0x64, 0, 0, 0, 5, ...k('hot')]), BYTES);
    expect((await engine.get(P, k('hot')))!.value).toBe('cached');
    const uncached = new LevelKvEngine(db, { cacheSizeBytes: 0 });
    expect(await uncached.get(P, k('hot'))).toBeUndefined();
    expect(uncached.cacheStats()).toMatchObject({ hits: 0, misses: 1, entries: 0 });
  });

  it("gives a write what it needs of the key it replaces without caching the old value", async () => {
    const db = await openMemoryDb();
    const engine = new LevelKvEngine(db, { cacheSizeBytes: 1 << 20 });
    const b = engine.newApplyBatch();
    b.put(P, k('cold'), { value: 'v'.repeat(5000), version: 4, createRevision: 2, modRevision: 9, expiresAtMs: 77 });
    b.put(P, k('warm'), rec('w', 3));
    await engine.write(b);
    // A second engine over the same database has nothing cached: the record comes from disk.
    const cold = new LevelKvEngine(db, { cacheSizeBytes: 1 << 20 });
    expect(await cold.getMeta(P, k('cold'))).toStrictEqual({ version: 4, createRevision: 2, modRevision: 9, expiresAtMs: 77 });
    expect(await cold.getMeta(P, k('absent'))).toBeUndefined();
    expect(cold.cacheStats()).toMatchObject({ entries: 0, sizeBytes: 0 });
    expect(cold.getCached(P, k('cold'))).toBe(NOT_CACHED);
    // A cached key is answered from the cache (the database changed behind its back is not read).
    await db.del(new Uint8Array([0x64, 0, 0, 0, 5, ...k('warm')]), BYTES);
    expect(await engine.getMeta(P, k('warm'))).toMatchObject({ version: 1, createRevision: 3, modRevision: 3 });
  });

  it('is invalidated by import and drop', async () => {
    const engine = await openMemoryKvEngine({ cacheSizeBytes: 1 << 20 });
    const other = await openMemoryKvEngine();
    const ob = other.newApplyBatch();
    ob.put(P, k('x'), rec('imported'));
    await other.write(ob);
    const b = engine.newApplyBatch();
    b.put(P, k('x'), rec('local'));
    b.put(P, k('y'), rec('local'));
    b.put(groupId(6), k('x'), rec('neighbour'));
    await engine.write(b);
    expect(await engine.get(P, k('z'))).toBeUndefined(); // cached as absent
    const chunks: Uint8Array[] = [];
    for await (const c of other.exportPartition(P, 1024)) chunks.push(c);
    await engine.importPartition(P, chunks);
    expect(engine.getCached(P, k('x'))).toBe(NOT_CACHED);
    expect((await engine.get(P, k('x')))!.value).toBe('imported');
    expect(await engine.get(P, k('y'))).toBeUndefined();
    expect((engine.getCached(groupId(6), k('x')) as KvRecord).value).toBe('neighbour');
    await engine.dropPartition(P);
    expect(engine.getCached(P, k('x'))).toBe(NOT_CACHED);
    expect(await engine.get(P, k('x'))).toBeUndefined();
    expect(await engine.appliedIndex(P)).toBe(0);
    expect((await engine.get(groupId(6), k('x')))!.value).toBe('neighbour');
  });

  it('does not fill from a read that raced a write', async () => {
    const db = await openMemoryDb();
    const engine = new LevelKvEngine(db, { cacheSizeBytes: 1 << 20 });
    const b0 = engine.newApplyBatch();
    b0.put(P, k('r'), rec('old'));
    await engine.write(b0);
    const fresh = new LevelKvEngine(db, { cacheSizeBytes: 1 << 20 });
    // Hold the read until the write has landed.
    const held = holdNextGet(db);
    const racingRead = fresh.get(P, k('r'));
    await held.started;
    const w = fresh.newApplyBatch();
    w.put(P, k('r'), rec('new', 2));
    await fresh.write(w);
    held.release();
    expect((await racingRead)!.value).toBe('old');
    expect((fresh.getCached(P, k('r')) as KvRecord).value).toBe('new');
  });

  it('stays within its byte bound and keeps the recently used', async () => {
    const engine = await openMemoryKvEngine({ cacheSizeBytes: 64 * 1024 });
    for (let i = 0; i < 200; i++) {
      const b = engine.newApplyBatch();
      b.put(P, k(`k${i}`), rec('x'.repeat(1000)));
      await engine.write(b);
      engine.getCached(P, k('k0'));
    }
    const stats = engine.cacheStats();
    expect(stats.sizeBytes).toBeLessThanOrEqual(64 * 1024);
    expect(stats.entries).toBeLessThan(200);
    expect(engine.getCached(P, k('k0'))).not.toBe(NOT_CACHED);
    expect(engine.getCached(P, k('k1'))).toBe(NOT_CACHED);
  });

  it('keeps two keys that share a cache slot apart', async () => {
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; pair === undefined; i++) {
      const name = `c${i}`;
      const slot = keySlot(P, k(name));
      const other = seen.get(slot);
      if (other !== undefined) pair = [other, name];
      seen.set(slot, name);
    }
    const [a, b] = pair;
    const engine = await openMemoryKvEngine({ cacheSizeBytes: 1 << 20 });
    const w = engine.newApplyBatch();
    w.put(P, k(a), rec('value of a'));
    await engine.write(w);
    expect(engine.getCached(P, k(b))).toBe(NOT_CACHED);
    expect(await engine.get(P, k(b))).toBeUndefined();
    expect(engine.getCached(P, k(b))).toBeUndefined();
    expect(engine.getCached(P, k(a))).toBe(NOT_CACHED);
    expect((await engine.get(P, k(a)))!.value).toBe('value of a');
    expect(engine.getCached(groupId(P + 1), k(a))).toBe(NOT_CACHED);
  });
});
