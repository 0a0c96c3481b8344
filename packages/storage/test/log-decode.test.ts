/**
 * The log engine's stored records read back only as written: an entry keeps its type (a
 * membership change must never come back as a normal entry, or the other way round), and a
 * record whose checksum is right but whose content is not is a CorruptionError naming what is
 * wrong. Each malformed record below breaks exactly one rule.
 */
import { describe, expect, it } from 'vitest';
import { groupId, nodeId, utf8Encode } from '@ringkv/stdx';
import { sealRecord } from '../src/checksum';
import type { LogEntry, LogSnapshot } from '../src/interfaces';
import { readU64BE, writeU32BE } from '../src/key-bytes';
import { decodeEntry, decodeHardState, decodeSnapshotMeta, encodeEntry, encodeHardState, encodeSnapshotMeta } from '../src/log-codec';
import { openMemoryDb } from '../src/db';
import { LevelRaftLogEngine } from '../src/log-engine';
import { corruption, resealed, sealedBody } from './helpers';

const G = groupId(5);

const normal: LogEntry = { index: 7, term: 3, type: 'normal', data: utf8Encode('put k v') };
const confChange: LogEntry = { index: 8, term: 3, type: 'confChange', data: Uint8Array.of(1, 2, 3) };

describe('log entries', () => {
  it('keep index, term, type and data, normal and membership-change alike', () => {
    for (const e of [normal, confChange, { ...normal, index: 2 ** 40, term: 2 ** 33, data: new Uint8Array(0) }]) {
      const back = decodeEntry(G, e.index, encodeEntry(G, e));
      expect({ ...back, data: [...back.data] }).toStrictEqual({ ...e, data: [...e.data] });
    }
  });

  it('keep their type through a commit, read back by another engine', async () => {
    const db = await openMemoryDb();
    const engine = new LevelRaftLogEngine(db);
    const log = await engine.openGroup(G);
    const batch = engine.newBatch();
    batch.append(log, [
      { ...normal, index: 1 },
      { ...confChange, index: 2 },
      { ...normal, index: 3 },
    ]);
    await engine.commit(batch);
    expect(log.entries(1, 4, Infinity).map((e) => e.type)).toEqual(['normal', 'confChange', 'normal']);
    // Read back from the database by a second engine: decoded, not the in-memory copy.
    const reopened = await new LevelRaftLogEngine(db).openGroup(G);
    expect(reopened.entries(1, 4, Infinity).map((e) => [e.type, [...e.data]])).toEqual([
      ['normal', [...normal.data]],
      ['confChange', [1, 2, 3]],
      ['normal', [...normal.data]],
    ]);
  });

  it('refuse a record that is short, of another format or type, or stored under another key', () => {
    const good = encodeEntry(G, normal);
    const faults: Array<[Uint8Array, number, RegExp]> = [
      [good.subarray(0, 25), 7, /entry record is 25 bytes, shorter than its header/],
      [resealed(good, (r) => (r[4] = 2)), 7, /unknown entry format 2/],
      [resealed(good, (r) => (r[5] = 2)), 7, /unknown entry type 2/],
      [resealed(good, (r) => writeU32BE(r, 6, 6)), 7, /entry of group 6 index 7 is stored under the wrong key/],
      [good, 8, /entry of group 5 index 7 is stored under the wrong key/],
      [good.map((b, i) => (i === 30 ? b ^ 1 : b)), 7, /entry checksum mismatch/],
    ];
    for (const [record, index, message] of faults) {
      const error = corruption(() => decodeEntry(G, index, record));
      expect(error.message).toMatch(message);
      expect(error.group).toBe(G);
      expect(error.index).toBe(index);
    }
    // The header alone is a valid entry with no data.
    const empty = encodeEntry(G, { ...normal, data: new Uint8Array(0) });
    expect(empty.length).toBe(26);
    expect(decodeEntry(G, 7, empty).data.length).toBe(0);
    expect(readU64BE(empty, 18)).toBe(3);
  });
});

describe('hard states', () => {
  it('read back as written', () => {
    const hs = { term: 9, vote: nodeId(2), commit: 40 };
    expect(decodeHardState(G, encodeHardState(G, hs))).toStrictEqual(hs);
  });

  it('refuse another group, another format or a malformed field', () => {
    const faults: Array<[unknown[], RegExp]> = [
      [[1, 6, 1, 2, 3], /hard state has an unknown format or belongs to another group/],
      [[2, 5, 1, 2, 3], /hard state has an unknown format or belongs to another group/],
      [[1, 5, -1, 2, 3], /hard state fields are malformed/],
      [[1, 5, 1, 'two', 3], /hard state fields are malformed/],
      [[1, 5, 1, 2, 3.5], /hard state fields are malformed/],
    ];
    for (const [body, message] of faults) expect(corruption(() => decodeHardState(G, sealedBody(body))).message).toMatch(message);
    expect(corruption(() => decodeHardState(G, sealRecord(Uint8Array.of(0, 0, 0, 0, 0x92, 0x01)))).message).toMatch(/hard state does not decode/);
    const flipped = encodeHardState(G, { term: 1, vote: nodeId(1), commit: 1 });
    flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 1;
    expect(corruption(() => decodeHardState(G, flipped)).message).toMatch(/hard state checksum mismatch/);
  });
});

describe('snapshot metadata (the compaction point)', () => {
  const meta: LogSnapshot['metadata'] = {
    index: 100,
    term: 4,
    confState: { voters: [nodeId(1), nodeId(2)], learners: [nodeId(3)], votersOutgoing: [nodeId(1)], learnersNext: [], autoLeave: true },
  };

  it('reads back as written', () => {
    expect(decodeSnapshotMeta(G, encodeSnapshotMeta(G, meta))).toStrictEqual(meta);
  });

  it('refuses each malformed field', () => {
    const base: unknown[] = [1, 5, 100, 4, [1, 2], [3], [1], [], true];
    for (let field = 2; field < base.length; field++) {
      const body = [...base];
      body[field] = field === 8 ? 1 : field < 4 ? -1 : [1, 'x'];
      expect(corruption(() => decodeSnapshotMeta(G, sealedBody(body))).message).toMatch(/snapshot metadata fields are malformed/);
    }
    for (let field = 4; field < 8; field++) {
      const body = [...base];
      body[field] = 'not a list';
      expect(corruption(() => decodeSnapshotMeta(G, sealedBody(body))).message).toMatch(/snapshot metadata fields are malformed/);
    }
    expect(corruption(() => decodeSnapshotMeta(G, sealedBody('x' as unknown as unknown[]))).message).toMatch(/snapshot metadata has an unknown format/);
  });
});
