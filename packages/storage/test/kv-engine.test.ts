import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { groupId, utf8Encode } from '@ringkv/stdx';
import {
  CorruptionError,
  KEY_SIZE_BYTES_MAX,
  LevelKvEngine,
  LimitError,
  NOT_CACHED,
  SESSION_ANSWER_SIZE_BYTES_MAX,
  VALUE_SIZE_BYTES_MAX,
  openMemoryDb,
  openMemoryKvEngine,
} from '../src/index';
import type { KvRecord, Value } from '../src/index';
import { dataKey } from '../src/kv-keys';

const P = groupId(3);
const k = (s: string): Uint8Array => utf8Encode(s);
const rec = (value: Value, rev = 1): KvRecord => ({ value, version: 1, createRevision: rev, modRevision: rev });
const BYTES = { keyEncoding: 'view', valueEncoding: 'view' } as const;

async function put(engine: LevelKvEngine, key: string, value: Value, rev = 1): Promise<void> {
  const b = engine.newApplyBatch();
  b.put(P, k(key), rec(value, rev));
  await engine.write(b);
}

/** fc.jsonValue can produce -0, which JSON itself cannot carry; it reads back as 0. */
function withoutNegativeZero(v: unknown): unknown {
  if (typeof v === 'number') return Object.is(v, -0) ? 0 : v;
  if (v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map(withoutNegativeZero);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, val] of Object.entries(v)) Object.defineProperty(out, key, { value: withoutNegativeZero(val), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}

describe('KV engine: values round-trip exactly', () => {
  const valueArb: fc.Arbitrary<Value> = fc.oneof(fc.string({ unit: 'grapheme' }), fc.uint8Array({ maxLength: 200 }), fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Value>);

  it('strings, bytes and JSON, through the database and through the cache', async () => {
    const db = await openMemoryDb();
    const engine = new LevelKvEngine(db, { cacheSizeBytes: 1 << 20 });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 40 }), valueArb, fc.option(fc.nat(), { nil: undefined }), async (key, value, expiresAtMs) => {
        const record: KvRecord = expiresAtMs === undefined ? rec(value, 5) : { ...rec(value, 5), expiresAtMs };
        const b = engine.newApplyBatch();
        b.put(P, key, record);
        await engine.write(b);
        const expected = { ...record, value: withoutNegativeZero(value) };
        expect(engine.getCached(P, key)).toStrictEqual(expected);
        const uncached = new LevelKvEngine(db, { cacheSizeBytes: 0 });
        const read = await uncached.get(P, key);
        expect(read).toStrictEqual(expected);
        if (value instanceof Uint8Array) expect(Object.getPrototypeOf(read!.value)).toBe(Uint8Array.prototype);
      }),
      { numRuns: 300 },
    );
    await engine.close();
  });

  it('keeps the edge cases apart', async () => {
    const engine = await openMemoryKvEngine({ cacheSizeBytes: 0 });
    const cases: Value[] = ['1', 1, '', null, 'null', [], {}, { __proto__: 1 } as unknown as Value, JSON.parse('{"__proto__":{"a":[1,"1",null]}}') as Value, new Uint8Array(0), new Uint8Array([0, 255]), true, 'true', 1e300, -5.5];
    for (const [i, v] of cases.entries()) await put(engine, `c${i}`, v);
    for (const [i, v] of cases.entries()) expect((await engine.get(P, k(`c${i}`)))!.value).toStrictEqual(v);
    await engine.close();
  });
});

describe('KV engine: writes, scans, sessions, applied index', () => {
  it('applies data, sessions and applied indexes of several partitions in one write', async () => {
    const engine = await openMemoryKvEngine();
    const b = engine.newApplyBatch();
    b.put(P, k('a'), rec('1', 10));
    b.put(groupId(4), k('a'), rec('2', 10));
    b.delete(P, k('missing'));
    b.setSession(P, 'client-1', { lastSeq: 3, answer: Uint8Array.of(1, 2), lastSeenMs: 1000 });
    b.setAppliedIndex(P, 10);
    b.setAppliedIndex(groupId(4), 12);
    await engine.write(b);
    expect((await engine.get(groupId(4), k('a')))!.value).toBe('2');
    expect(await engine.appliedIndex(P)).toBe(10);
    expect(await engine.appliedIndex(groupId(4))).toBe(12);
    expect(await engine.appliedIndex(groupId(5))).toBe(0);
    expect(await engine.getSession(P, 'client-1')).toStrictEqual({ lastSeq: 3, answer: Uint8Array.of(1, 2), lastSeenMs: 1000 });
    expect(await engine.getSession(groupId(4), 'client-1')).toBeUndefined();
    const b2 = engine.newApplyBatch();
    b2.put(P, k('a'), { value: '3', version: 2, createRevision: 10, modRevision: 11 });
    b2.delete(P, k('a'));
    b2.setSession(P, 'client-2', { lastSeq: 1, answer: new Uint8Array(0), lastSeenMs: 5 });
    b2.deleteSession(P, 'client-1');
    await engine.write(b2);
    expect(await engine.get(P, k('a'))).toBeUndefined();
    expect((await engine.listSessions(P)).map((s) => s.clientId)).toEqual(['client-2']);
    await engine.close();
  });

  it('writes nothing when the batch fails and keeps the old values visible', async () => {
    const db = await openMemoryDb();
    const engine = new LevelKvEngine(db, { cacheSizeBytes: 1 << 20 });
    await put(engine, 'x', 'old');
    const original = db.batch.bind(db) as () => ReturnType<typeof db.batch>;
    // The write fails after every operation was staged, as a failing fsync would.
    (db as { batch: unknown }).batch = () => {
      const failing = original();
      failing.write = () => Promise.reject(new Error('io error'));
      return failing;
    };
    const b = engine.newApplyBatch();
    b.put(P, k('x'), rec('new', 2));
    await expect(engine.write(b)).rejects.toThrow('io error');
    (db as { batch: unknown }).batch = original;
    expect((await engine.get(P, k('x')))!.value).toBe('old');
    await put(engine, 'x', 'newer', 3);
    expect((await engine.get(P, k('x')))!.value).toBe('newer');
    await engine.close();
  });

  it('scans a prefix in key order with a limit and a continuation, within one partition', async () => {
    const engine = await openMemoryKvEngine();
    const b = engine.newApplyBatch();
    for (const key of ['user/b', 'user/a', 'user/c', 'usex', 'user', 'other', 'user/\xff']) b.put(P, k(key), rec(key));
    b.put(groupId(4), k('user/zz'), rec('other partition'));
    await engine.write(b);
    const keys = (items: { key: Uint8Array }[]): string[] => items.map((i) => new TextDecoder().decode(i.key));
    const page1 = await engine.scan(P, { prefix: k('user/'), limit: 2 });
    expect(keys(page1)).toEqual(['user/a', 'user/b']);
    const page2 = await engine.scan(P, { prefix: k('user/'), after: page1[1]!.key, limit: 2 });
    expect(keys(page2)).toEqual(['user/c', 'user/\xff']);
    expect(await engine.scan(P, { prefix: k('user/'), after: page2[1]!.key, limit: 2 })).toEqual([]);
    expect(keys(await engine.scan(P, { prefix: new Uint8Array(0), limit: 100 }))).toEqual(['other', 'user', 'user/a', 'user/b', 'user/c', 'user/\xff', 'usex']);
    expect(keys(await engine.scan(P, { prefix: k('user/'), after: k('a'), limit: 1 }))).toEqual(['user/a']);
    // `after` is exclusive even when it is the prefix itself (a page that ended on the key equal to it).
    expect(keys(await engine.scan(P, { prefix: k('user'), limit: 10 }))).toEqual(['user', 'user/a', 'user/b', 'user/c', 'user/\xff']);
    expect(keys(await engine.scan(P, { prefix: k('user'), after: k('user'), limit: 10 }))).toEqual(['user/a', 'user/b', 'user/c', 'user/\xff']);
    await expect(engine.scan(P, { prefix: k('user/'), after: new Uint8Array(KEY_SIZE_BYTES_MAX + 1), limit: 1 })).rejects.toThrow(LimitError);
    expect(page1[0]!.record.value).toBe('user/a');
    await expect(engine.scan(P, { prefix: k(''), limit: 1_000_000 })).rejects.toThrow(LimitError);
    await engine.close();
  });

  it('stops a scan after the record that reaches bytesMax, and says what each record cost', async () => {
    const engine = await openMemoryKvEngine();
    const b = engine.newApplyBatch();
    for (const key of ['a', 'b', 'c', 'd', 'e']) b.put(P, k(key), rec('x'.repeat(100)));
    await engine.write(b);
    const all = await engine.scan(P, { prefix: new Uint8Array(0), limit: 10 });
    expect(all).toHaveLength(5);
    const size = all[0]!.storedBytes;
    // The key's byte and an encoded record holding the 100-byte value.
    expect(size).toBeGreaterThan(101);
    expect(all.every((i) => i.storedBytes === size)).toBe(true);
    const keys = (items: { key: Uint8Array }[]): string[] => items.map((i) => new TextDecoder().decode(i.key));
    expect(keys(await engine.scan(P, { prefix: new Uint8Array(0), limit: 10, bytesMax: 2 * size }))).toEqual(['a', 'b']);
    expect(keys(await engine.scan(P, { prefix: new Uint8Array(0), limit: 10, bytesMax: 2 * size + 1 }))).toEqual(['a', 'b', 'c']);
    expect(keys(await engine.scan(P, { prefix: new Uint8Array(0), limit: 10, bytesMax: 1 }))).toEqual(['a']);
    expect(keys(await engine.scan(P, { prefix: new Uint8Array(0), after: k('c'), limit: 1, bytesMax: 1e9 }))).toEqual(['d']);
    await engine.close();
  });
});

describe('KV engine: the session cache', () => {
  const session = (seq: number) => ({ lastSeq: seq, answer: Uint8Array.of(seq), lastSeenMs: seq * 10 });

  it('answers repeated lookups from memory and follows every write, delete and drop', async () => {
    const engine = await openMemoryKvEngine();
    expect(await engine.getSession(P, 'c')).toBeUndefined();
    expect(await engine.getSession(P, 'c')).toBeUndefined();
    expect(engine.cacheStats()).toMatchObject({ sessionMisses: 1, sessionHits: 1 });
    for (let seq = 1; seq <= 3; seq++) {
      const b = engine.newApplyBatch();
      b.setSession(P, 'c', session(seq));
      await engine.write(b);
      expect(await engine.getSession(P, 'c')).toStrictEqual(session(seq));
    }
    // The database agrees with what the cache served.
    const fresh = new LevelKvEngine(engine.db, { cacheSizeBytes: 0, sessionCacheEntriesMax: 0 });
    expect(await fresh.getSession(P, 'c')).toStrictEqual(session(3));
    const d = engine.newApplyBatch();
    d.deleteSession(P, 'c');
    await engine.write(d);
    expect(await engine.getSession(P, 'c')).toBeUndefined();
    const again = engine.newApplyBatch();
    again.setSession(P, 'c', session(4));
    await engine.write(again);
    await engine.dropPartition(P);
    expect(await engine.getSession(P, 'c')).toBeUndefined();
    await engine.close();
  });

  it("takes an imported partition's sessions, not the cached ones", async () => {
    const source = await openMemoryKvEngine();
    const b = source.newApplyBatch();
    b.setSession(P, 'c', session(7));
    b.setAppliedIndex(P, 7);
    await source.write(b);
    const chunks: Uint8Array[] = [];
    for await (const chunk of source.exportPartition(P, 4096)) chunks.push(chunk);
    const target = await openMemoryKvEngine();
    const t = target.newApplyBatch();
    t.setSession(P, 'c', session(2));
    await target.write(t);
    expect(await target.getSession(P, 'c')).toStrictEqual(session(2));
    await target.importPartition(P, chunks);
    expect(await target.getSession(P, 'c')).toStrictEqual(session(7));
    await source.close();
    await target.close();
  });
});

describe('KV engine: limits are checked before anything is written', () => {
  it('refuses an oversized key or value with a LimitError', async () => {
    const engine = await openMemoryKvEngine();
    const b = engine.newApplyBatch();
    b.put(P, k('ok'), rec('fine'));
    expect(() => b.put(P, new Uint8Array(KEY_SIZE_BYTES_MAX + 1), rec('v'))).toThrow(LimitError);
    expect(() => b.put(P, k('big'), rec(new Uint8Array(VALUE_SIZE_BYTES_MAX + 1)))).toThrow(LimitError);
    expect(() => b.put(P, k('big'), rec('é'.repeat(VALUE_SIZE_BYTES_MAX / 2 + 1)))).toThrow(/value is 1048578 bytes, over the limit of 1048576/);
    expect(() => b.put(P, k('big'), rec({ s: 'x'.repeat(VALUE_SIZE_BYTES_MAX) }))).toThrow(LimitError);
    expect(() => b.delete(P, new Uint8Array(KEY_SIZE_BYTES_MAX + 1))).toThrow(LimitError);
    expect(() => b.setSession(P, 'c'.repeat(300), { lastSeq: 1, answer: new Uint8Array(0), lastSeenMs: 0 })).toThrow(LimitError);
    expect(() => b.setSession(P, 'c', { lastSeq: 1, answer: new Uint8Array(SESSION_ANSWER_SIZE_BYTES_MAX + 1), lastSeenMs: 0 })).toThrow(LimitError);
    expect(() => b.put(P, k('ttl'), { ...rec('v'), expiresAtMs: -1 })).toThrow(/expiresAtMs must be a non-negative safe integer/);
    expect(() => b.put(P, k('v0'), { ...rec('v'), version: 0 })).toThrow(/record version must be >= 1/);
    b.put(P, new Uint8Array(KEY_SIZE_BYTES_MAX), rec(new Uint8Array(VALUE_SIZE_BYTES_MAX)));
    await engine.write(b);
    expect(((await engine.get(P, new Uint8Array(KEY_SIZE_BYTES_MAX)))!.value as Uint8Array).length).toBe(VALUE_SIZE_BYTES_MAX);
    expect((await engine.scan(P, { prefix: new Uint8Array(0), limit: 10 })).length).toBe(2);
    await expect(engine.get(P, new Uint8Array(KEY_SIZE_BYTES_MAX + 1))).rejects.toThrow(LimitError);
    await engine.close();
  });
});

describe('KV engine: corruption', () => {
  it('names the key of a value whose byte was flipped, on get, scan and digest', async () => {
    const db = await openMemoryDb();
    const writer = new LevelKvEngine(db, { cacheSizeBytes: 0 });
    await put(writer, 'victim', { some: 'json', n: [1, 2, 3] });
    await put(writer, 'bystander', 'fine');
    const key = dataKey(P, k('victim'));
    const stored = (await db.get(key, BYTES))!;
    for (let offset = 0; offset < stored.length; offset++) {
      const flipped = Uint8Array.from(stored);
      flipped[offset] = flipped[offset]! ^ 0x01;
      await db.put(key, flipped, BYTES);
      const engine = new LevelKvEngine(db, { cacheSizeBytes: 1 << 20 });
      const err = await engine.get(P, k('victim')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CorruptionError);
      expect((err as CorruptionError).key).toStrictEqual(k('victim'));
      expect((err as CorruptionError).group).toBe(P);
      // Never cached as data either.
      expect(engine.getCached(P, k('victim'))).toBe(NOT_CACHED);
      await expect(engine.scan(P, { prefix: k(''), limit: 10 })).rejects.toThrow(CorruptionError);
      await expect(engine.digest(P)).rejects.toThrow(CorruptionError);
      expect((await engine.get(P, k('bystander')))!.value).toBe('fine');
    }
  });

  it('detects a record copied under another key', async () => {
    const db = await openMemoryDb();
    const engine = new LevelKvEngine(db, { cacheSizeBytes: 0 });
    await put(engine, 'a', 'value of a');
    await db.put(dataKey(P, k('b')), (await db.get(dataKey(P, k('a')), BYTES))!, BYTES);
    await expect(engine.get(P, k('b'))).rejects.toThrow(CorruptionError);
  });
});

describe('KV engine: sync()', () => {
  it('writes its durability marker with fsync, outside every partition (digests, scans and exports unchanged)', async () => {
    const engine = await openMemoryKvEngine();
    await put(engine, 'a', 'one');
    const before = await engine.digest(P);
    const chunksBefore: Uint8Array[] = [];
    for await (const c of engine.exportPartition(P, 1024)) chunksBefore.push(c);
    const syncs: boolean[] = [];
    const db = (engine as unknown as { db: { batch(): { write(o: { sync?: boolean }): Promise<void> } } }).db;
    const realBatch = db.batch.bind(db);
    db.batch = () => {
      const b = realBatch();
      const write = b.write.bind(b);
      b.write = (o) => (syncs.push(o.sync === true), write(o));
      return b;
    };
    await engine.sync();
    expect(syncs).toEqual([true]);
    expect(await engine.digest(P)).toBe(before);
    expect((await engine.scan(P, { prefix: new Uint8Array(0), limit: 10 })).map((i) => i.key)).toEqual([k('a')]);
    const chunksAfter: Uint8Array[] = [];
    for await (const c of engine.exportPartition(P, 1024)) chunksAfter.push(c);
    expect(chunksAfter).toEqual(chunksBefore);
    await engine.close();
  });
});
