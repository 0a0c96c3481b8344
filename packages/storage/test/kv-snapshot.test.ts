import { describe, expect, it } from 'vitest';
import { groupId, utf8Encode } from '@ringkv/stdx';
import { CorruptionError, IMPORT_SIZE_BYTES_MAX, LevelKvEngine, LimitError, openMemoryDb, openMemoryKvEngine } from '../src/index';
import type { KvEngine } from '../src/index';
import { sealRecord } from '../src/checksum';
import { readU32BE, writeU32BE } from '../src/key-bytes';
import { ChunkWriter, parseChunk } from '../src/kv-chunks';
import { APPLIED_TAG, DATA_TAG, SESSION_TAG } from '../src/kv-keys';
import { corruption, resealed } from './helpers';

const P = groupId(11);
const k = (s: string): Uint8Array => utf8Encode(s);

async function fill(engine: KvEngine, partition = P, n = 300): Promise<void> {
  const b = engine.newApplyBatch();
  for (let i = 0; i < n; i++) {
    const value = i % 3 === 0 ? `v${i}`.repeat(i % 40) : i % 3 === 1 ? { i, tags: ['a', i] } : Uint8Array.of(i & 0xff, 7);
    b.put(partition, k(`key/${String(i).padStart(4, '0')}`), { value, version: 1 + (i % 4), createRevision: i, modRevision: i + 1, ...(i % 5 === 0 ? { expiresAtMs: 1_700_000_000_000 + i } : {}) });
  }
  b.setSession(partition, 'client-a', { lastSeq: 9, answer: Uint8Array.of(1), lastSeenMs: 77 });
  b.setSession(partition, 'client-b', { lastSeq: 2, answer: Uint8Array.of(2, 3), lastSeenMs: 78 });
  b.setAppliedIndex(partition, 4242);
  await engine.write(b);
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of chunks) out.push(c);
  return out;
}

describe('partition snapshots: export, import elsewhere, equal digests', () => {
  it('moves data, sessions and the applied index; replaces what the target had', async () => {
    const source = await openMemoryKvEngine();
    const target = await openMemoryKvEngine();
    await fill(source);
    await fill(source, groupId(12), 5);
    // The target holds stale data for the partition that the import must remove.
    const stale = target.newApplyBatch();
    stale.put(P, k('stale-only'), { value: 'old', version: 1, createRevision: 1, modRevision: 1 });
    stale.put(P, k('key/0001'), { value: 'old', version: 1, createRevision: 1, modRevision: 1 });
    stale.setSession(P, 'client-z', { lastSeq: 1, answer: new Uint8Array(0), lastSeenMs: 1 });
    stale.put(groupId(12), k('untouched'), { value: 'other partition', version: 1, createRevision: 1, modRevision: 1 });
    await target.write(stale);
    expect(await target.digest(P)).not.toBe(await source.digest(P));

    const chunks = await collect(source.exportPartition(P, 4096));
    expect(chunks.length).toBeGreaterThan(2);
    await target.importPartition(P, chunks);

    expect(await target.digest(P)).toBe(await source.digest(P));
    expect(await target.appliedIndex(P)).toBe(4242);
    expect(await target.get(P, k('stale-only'))).toBeUndefined();
    expect((await target.listSessions(P)).map((s) => s.clientId)).toEqual(['client-a', 'client-b']);
    expect(await target.scan(P, { prefix: k(''), limit: 1000 })).toStrictEqual(await source.scan(P, { prefix: k(''), limit: 1000 }));
    expect((await target.get(groupId(12), k('untouched')))!.value).toBe('other partition');
    expect(await target.digest(groupId(12))).not.toBe(await source.digest(groupId(12)));
  });

  it('digests differ when content differs and ignore write order', async () => {
    const a = await openMemoryKvEngine();
    const b = await openMemoryKvEngine();
    await fill(a);
    await fill(b);
    expect(await a.digest(P)).toBe(await b.digest(P));
    const change = b.newApplyBatch();
    change.put(P, k('key/0003'), { value: 'different', version: 2, createRevision: 3, modRevision: 9 });
    await b.write(change);
    expect(await a.digest(P)).not.toBe(await b.digest(P));
  });

  it('exports a consistent view while writes continue', async () => {
    const source = await openMemoryKvEngine();
    await fill(source);
    const before = await source.digest(P);
    const it = source.exportPartition(P, 1024)[Symbol.asyncIterator]();
    const first = await it.next();
    const change = source.newApplyBatch();
    change.put(P, k('key/0299'), { value: 'late write', version: 9, createRevision: 1, modRevision: 5000 });
    change.put(P, k('zzz-new'), { value: 'late write', version: 1, createRevision: 5000, modRevision: 5000 });
    change.setAppliedIndex(P, 5000);
    await source.write(change);
    const chunks = [first.value as Uint8Array];
    for (let r = await it.next(); !r.done; r = await it.next()) chunks.push(r.value);
    const target = await openMemoryKvEngine();
    await target.importPartition(P, chunks);
    expect(await target.digest(P)).toBe(before);
    expect(await target.appliedIndex(P)).toBe(4242);
  });

  it('refuses a corrupt, missing, reordered or truncated chunk and changes nothing', async () => {
    const source = await openMemoryKvEngine();
    await fill(source);
    const chunks = await collect(source.exportPartition(P, 2048));
    const db = await openMemoryDb();
    const target = new LevelKvEngine(db, { cacheSizeBytes: 1 << 20 });
    const b = target.newApplyBatch();
    b.put(P, k('mine'), { value: 'keep me', version: 1, createRevision: 1, modRevision: 1 });
    b.setAppliedIndex(P, 17);
    await target.write(b);
    const before = await target.digest(P);

    const flipped = chunks.map((c) => Uint8Array.from(c));
    const last = flipped[flipped.length - 1]!;
    last[last.length - 3] = last[last.length - 3]! ^ 0x40;
    // Each refused by its own check (the message says which).
    const variants: Array<[Uint8Array[], RegExp]> = [
      [flipped, /snapshot chunk: checksum mismatch/],
      [chunks.filter((_, i) => i !== 1), /snapshot chunk 2 arrived where 1 was expected/],
      [[chunks[1]!, chunks[0]!, ...chunks.slice(2)], /snapshot chunk 1 arrived where 0 was expected/],
      [chunks.slice(0, -1), /snapshot stream ended before its last chunk/],
      [[...chunks, chunks[0]!], /snapshot chunk after the last one/],
      [[chunks[0]!, resealed(chunks[1]!, (c) => writeU32BE(c, 18, readU32BE(c, 18) + 1)), ...chunks.slice(2)], /snapshot chunk 1 follows \d+ items, \d+ arrived/],
    ];
    for (const [bad, message] of variants) {
      const err = await target.importPartition(P, bad).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CorruptionError);
      expect((err as Error).message).toMatch(message);
      expect((err as CorruptionError).group).toBe(P);
      expect(await target.digest(P)).toBe(before);
      expect(await target.appliedIndex(P)).toBe(17);
      expect((await target.get(P, k('mine')))!.value).toBe('keep me');
    }
    await expect(target.importPartition(groupId(99), chunks)).rejects.toThrow(/belongs to partition 11/);
  });

  it('exports an empty partition as one chunk, and importing it empties the target', async () => {
    const source = await openMemoryKvEngine();
    const chunks = await collect(source.exportPartition(P, 1024));
    expect(chunks).toHaveLength(1);
    const target = await openMemoryKvEngine();
    await fill(target);
    await target.importPartition(P, chunks);
    expect(await target.scan(P, { prefix: k(''), limit: 10 })).toEqual([]);
    expect(await target.appliedIndex(P)).toBe(0);
    expect(await target.digest(P)).toBe(await source.digest(P));
  });

  it('parses only well-framed chunks: every framing fault is named', () => {
    const writer = new ChunkWriter(P, 1 << 20);
    writer.add({ tag: DATA_TAG, key: k('a'), value: Uint8Array.of(1, 2) });
    writer.add({ tag: SESSION_TAG, key: k('client'), value: Uint8Array.of(3) });
    const good = writer.finish();
    expect(parseChunk(P, good)).toStrictEqual({
      seq: 0,
      last: true,
      itemsBefore: 0,
      items: [
        { tag: DATA_TAG, key: k('a'), value: Uint8Array.of(1, 2) },
        { tag: SESSION_TAG, key: k('client'), value: Uint8Array.of(3) },
      ],
    });
    const header = 26;
    const firstItem = header;
    const secondItem = header + 1 + 4 + 1 + 4 + 2;
    const faults: Array<[Uint8Array, RegExp]> = [
      [good.subarray(0, header - 1), /25 bytes is shorter than a chunk header/],
      [resealed(good, (c) => (c[5] = 0x00)), /not a RingKV partition chunk/],
      [resealed(good, (c) => (c[7] = 0x00)), /not a RingKV partition chunk/],
      [resealed(good, (c) => (c[8] = 2)), /not a RingKV partition chunk/],
      [resealed(good, (c) => (c[17] = 2)), /bad last flag/],
      [resealed(good, (c) => writeU32BE(c, 22, 3)), /item header runs past the end/],
      [resealed(good.subarray(0, secondItem + 4), () => undefined), /item header runs past the end/],
      [resealed(good, (c) => writeU32BE(c, firstItem + 1, 1000)), /item key runs past the end/],
      [resealed(good, (c) => writeU32BE(c, secondItem + 1, good.length - secondItem - 5 - 3)), /item key runs past the end/],
      [resealed(good, (c) => writeU32BE(c, firstItem + 6, 1000)), /item value runs past the end/],
      [resealed(good, (c) => writeU32BE(c, secondItem + 5 + 6, 2)), /item value runs past the end/],
      [resealed(good, (c) => writeU32BE(c, 22, 1)), /trailing bytes after the last item/],
    ];
    for (const [chunk, message] of faults) {
      const error = corruption(() => parseChunk(P, chunk));
      expect(error.message).toMatch(message);
      expect(error.group).toBe(P);
    }
    // A byte after the last item the count announces.
    const withTrailer = new Uint8Array(good.length + 1);
    withTrailer.set(good);
    expect(() => parseChunk(P, sealRecord(withTrailer))).toThrow(/trailing bytes after the last item/);
  });

  it('refuses an item of an unknown kind, an applied index under a key, and a stream past the size limit', async () => {
    const target = await openMemoryKvEngine();
    await fill(target, P, 3);
    const before = await target.digest(P);
    const chunkOf = (tag: number, key: Uint8Array, value: Uint8Array): Uint8Array => {
      const writer = new ChunkWriter(P, 1 << 20);
      writer.add({ tag, key, value });
      return writer.finish();
    };
    await expect(target.importPartition(P, [chunkOf(0x7a, k('x'), Uint8Array.of(1))])).rejects.toThrow(/snapshot item has unknown tag 122/);
    await expect(target.importPartition(P, [chunkOf(APPLIED_TAG, k('x'), new Uint8Array(12))])).rejects.toThrow(/snapshot item has unknown tag 97/);
    // A stream is refused as soon as its bytes pass the bound, before the chunk is even parsed.
    const huge = chunkOf(DATA_TAG, k('x'), Uint8Array.of(1));
    Object.defineProperty(huge, 'length', { value: IMPORT_SIZE_BYTES_MAX + 1 });
    await expect(target.importPartition(P, [huge])).rejects.toThrow(LimitError);
    expect(await target.digest(P)).toBe(before);
    expect(await target.appliedIndex(P)).toBe(4242);
  });
});
