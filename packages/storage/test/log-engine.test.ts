import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { groupId, nodeId } from '@ringkv/stdx';
import type { GroupId } from '@ringkv/stdx';
import {
  CorruptionError,
  LevelRaftLogEngine,
  LogCompactedError,
  LogUnavailableError,
  openMemoryDb,
  logEntrySizeBytes,
  openMemoryLogEngine,
} from '../src/index';
import type { GroupLog, LogEntry, LogSnapshot, StorageDb } from '../src/index';
import { entryKey } from '../src/log-keys';

const G1 = groupId(1);
const G2 = groupId(2);

function entry(index: number, term: number, text = `e${index}t${term}`): LogEntry {
  return { index, term, type: 'normal', data: new TextEncoder().encode(text) };
}

function range(from: number, to: number, term: number): LogEntry[] {
  const out: LogEntry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term));
  return out;
}

function meta(index: number, term: number): LogSnapshot['metadata'] {
  return { index, term, confState: { voters: [nodeId(1), nodeId(2), nodeId(3)], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } };
}

/** A log's whole visible state; its sizeBytes must be what its entries count for (the Store
 *  compacts by it), whether it was kept up through appends, truncations and compactions or
 *  summed when the log was loaded. */
function dump(log: GroupLog): { first: number; last: number; snap: LogSnapshot['metadata']; entries: LogEntry[]; hs: unknown; sizeBytes: number } {
  const first = log.firstIndex();
  const last = log.lastIndex();
  const entries = last >= first ? log.entries(first, last + 1, Number.MAX_SAFE_INTEGER).map((e) => ({ ...e, data: Uint8Array.from(e.data) })) : [];
  expect(log.sizeBytes).toBe(entries.reduce((sum, e) => sum + logEntrySizeBytes(e), 0));
  return { first, last, snap: log.snapshot().metadata, entries, hs: log.initialState().hardState, sizeBytes: log.sizeBytes };
}

async function appendCommit(engine: LevelRaftLogEngine, log: GroupLog, entries: LogEntry[]): Promise<void> {
  const b = engine.newBatch();
  b.append(log, entries);
  await engine.commit(b);
}

describe('log engine: the LogStorage contract', () => {
  it('starts empty: first 1, last 0, term(0) = 0, later terms unavailable', async () => {
    const engine = await openMemoryLogEngine();
    const log = await engine.openGroup(G1);
    expect(log.firstIndex()).toBe(1);
    expect(log.lastIndex()).toBe(0);
    expect(log.term(0)).toBe(0);
    expect(() => log.term(1)).toThrow(LogUnavailableError);
    expect(log.initialState().hardState).toEqual({ term: 0, vote: 0, commit: 0 });
    expect(log.snapshot().data.length).toBe(0);
    await engine.close();
  });

  it('changes the in-memory view only once the batch is durable', async () => {
    const engine = await openMemoryLogEngine();
    const log = await engine.openGroup(G1);
    const b = engine.newBatch();
    b.append(log, range(1, 3, 1));
    b.setHardState(log, { term: 1, vote: nodeId(2), commit: 1 });
    expect(log.lastIndex()).toBe(0);
    const done = engine.commit(b);
    expect(log.lastIndex()).toBe(0);
    await done;
    expect(log.lastIndex()).toBe(3);
    expect(log.initialState().hardState).toEqual({ term: 1, vote: 2, commit: 1 });
    await engine.close();
  });

  it('syncs a commit unless told not to, and shows an unsynced commit at once', async () => {
    const db = await openMemoryDb();
    const engine = new LevelRaftLogEngine(db);
    const log = await engine.openGroup(G1);
    const original = db.batch.bind(db) as () => ReturnType<typeof db.batch>;
    const syncs: boolean[] = [];
    (db as { batch: unknown }).batch = () => {
      const batch = original();
      const write = batch.write.bind(batch) as (options?: { sync?: boolean }) => Promise<void>;
      (batch as { write: unknown }).write = (options?: { sync?: boolean }) => {
        syncs.push(options?.sync === true);
        return write(options);
      };
      return batch;
    };
    await appendCommit(engine, log, range(1, 2, 1));
    const b = engine.newBatch();
    b.setHardState(log, { term: 1, vote: nodeId(2), commit: 2 });
    await engine.commit(b, { sync: false });
    expect(syncs).toEqual([true, false]);
    expect(log.initialState().hardState.commit).toBe(2);
    await engine.close();
  });

  it('leaves memory untouched when the synced write fails', async () => {
    const db = await openMemoryDb();
    const engine = new LevelRaftLogEngine(db);
    const log = await engine.openGroup(G1);
    await appendCommit(engine, log, range(1, 2, 1));
    const original = db.batch.bind(db) as () => ReturnType<typeof db.batch>;
    // The write fails after every operation was staged, as a failing fsync would.
    (db as { batch: unknown }).batch = () => {
      const failing = original();
      failing.write = () => Promise.reject(new Error('disk full'));
      return failing;
    };
    const b = engine.newBatch();
    b.append(log, range(3, 5, 1));
    await expect(engine.commit(b)).rejects.toThrow('disk full');
    expect(log.lastIndex()).toBe(2);
    (db as { batch: unknown }).batch = original;
    await appendCommit(engine, log, range(3, 4, 1));
    expect(log.lastIndex()).toBe(4);
    await engine.close();
  });

  it('returns at least one entry and stops before maxSizeBytes is passed', async () => {
    const engine = await openMemoryLogEngine();
    const log = await engine.openGroup(G1);
    await appendCommit(engine, log, [entry(1, 1, 'x'.repeat(100)), entry(2, 1, 'y'.repeat(100)), entry(3, 1, 'z')]);
    expect(log.entries(1, 4, 0).map((e) => e.index)).toEqual([1]);
    expect(log.entries(1, 4, 116).map((e) => e.index)).toEqual([1]);
    expect(log.entries(1, 4, 232).map((e) => e.index)).toEqual([1, 2]);
    expect(log.entries(1, 4, 10_000).map((e) => e.index)).toEqual([1, 2, 3]);
    expect(log.entries(2, 2, 10_000)).toEqual([]);
    expect(() => log.entries(1, 5, 10_000)).toThrow(LogUnavailableError);
    expect(log.sizeBytes).toBe(100 + 100 + 1 + 3 * 16);
    await engine.close();
  });

  it('finds the lowest index whose entries up to a given one fit in a byte budget, walking back no further than asked', async () => {
    const engine = await openMemoryLogEngine();
    const log = await engine.openGroup(G1);
    // sizes with the 16-byte framing: 116, 116, 17
    await appendCommit(engine, log, [entry(1, 1, 'x'.repeat(100)), entry(2, 1, 'y'.repeat(100)), entry(3, 1, 'z')]);
    expect(log.firstWithin(1, 3, 10_000)).toBe(1);
    expect(log.firstWithin(2, 3, 10_000)).toBe(2); // no further back than lo
    expect(log.firstWithin(1, 3, 133)).toBe(2); // 116 + 17
    expect(log.firstWithin(1, 3, 132)).toBe(3);
    expect(log.firstWithin(1, 3, 16)).toBe(4); // entry 3 alone is more
    expect(log.firstWithin(1, 2, 116)).toBe(2);
    expect(() => log.firstWithin(1, 4, 10_000)).toThrow();
    await engine.close();
  });

  it('truncates a conflicting suffix on append, in memory and on disk', async () => {
    const db = await openMemoryDb();
    const engine = new LevelRaftLogEngine(db);
    const log = await engine.openGroup(G1);
    await appendCommit(engine, log, range(1, 5, 1));
    await appendCommit(engine, log, range(3, 3, 2));
    expect(log.lastIndex()).toBe(3);
    expect(log.term(3)).toBe(2);
    expect(log.term(2)).toBe(1);
    expect(await db.get(entryKey(G1, 4), { keyEncoding: 'view', valueEncoding: 'view' })).toBeUndefined();
    const reopened = await new LevelRaftLogEngine(db).openGroup(G1);
    expect(dump(reopened)).toEqual(dump(log));
    await engine.close();
  });

  it('compacts a prefix: the compaction point keeps its term, older indexes are compacted', async () => {
    const db = await openMemoryDb();
    const engine = new LevelRaftLogEngine(db);
    const log = await engine.openGroup(G1);
    await appendCommit(engine, log, [...range(1, 4, 1), ...range(5, 8, 2)]);
    const b = engine.newBatch();
    b.compact(log, 5, meta(5, 2));
    await engine.commit(b);
    expect(log.firstIndex()).toBe(6);
    expect(log.term(5)).toBe(2);
    expect(() => log.term(4)).toThrow(LogCompactedError);
    expect(() => log.entries(5, 7, 100)).toThrow(LogCompactedError);
    expect(log.snapshot().metadata).toEqual(meta(5, 2));
    expect(log.initialState().confState.voters).toEqual([1, 2, 3]);
    expect(await db.get(entryKey(G1, 5), { keyEncoding: 'view', valueEncoding: 'view' })).toBeUndefined();
    expect(dump(await new LevelRaftLogEngine(db).openGroup(G1))).toEqual(dump(log));
    const again = engine.newBatch();
    expect(() => again.compact(log, 5, meta(5, 2))).toThrow(LogCompactedError);
    expect(() => again.compact(log, 9, meta(9, 2))).toThrow(LogUnavailableError);
    expect(() => again.compact(log, 7, meta(7, 1))).toThrow(/term/);
    await engine.close();
  });

  it('restarts the log after applySnapshot', async () => {
    const db = await openMemoryDb();
    const engine = new LevelRaftLogEngine(db);
    const log = await engine.openGroup(G1);
    await appendCommit(engine, log, range(1, 5, 1));
    const b = engine.newBatch();
    b.applySnapshot(log, { metadata: meta(20, 3), data: new Uint8Array(0) });
    b.append(log, range(21, 22, 3));
    await engine.commit(b);
    expect(log.firstIndex()).toBe(21);
    expect(log.lastIndex()).toBe(22);
    expect(log.term(20)).toBe(3);
    expect(dump(await new LevelRaftLogEngine(db).openGroup(G1))).toEqual(dump(log));
    await engine.close();
  });

  it('refuses a gap, stale batches and overlapping commits', async () => {
    const engine = await openMemoryLogEngine();
    const log = await engine.openGroup(G1);
    const gap = engine.newBatch();
    expect(() => gap.append(log, range(3, 4, 1))).toThrow(LogUnavailableError);
    const stale = engine.newBatch();
    stale.append(log, range(1, 1, 1));
    await appendCommit(engine, log, range(1, 2, 1));
    await expect(engine.commit(stale)).rejects.toThrow(/staged before/);
    const a = engine.newBatch();
    a.append(log, range(3, 3, 1));
    const first = engine.commit(a);
    const b = engine.newBatch();
    b.append(log, range(3, 3, 1));
    await expect(engine.commit(b)).rejects.toThrow(/still being written/);
    await first;
    await engine.close();
  });

  it('lists and drops groups', async () => {
    const db = await openMemoryDb();
    const engine = new LevelRaftLogEngine(db);
    for (const g of [G2, G1, groupId(7), groupId(0xffffffff)]) await appendCommit(engine, await engine.openGroup(g), range(1, 3, 1));
    const b = engine.newBatch();
    b.setHardState(await engine.openGroup(groupId(9)), { term: 1, vote: nodeId(1), commit: 0 });
    await engine.commit(b);
    expect(await engine.listGroups()).toEqual([1, 2, 7, 9, 0xffffffff]);
    const g7 = await engine.openGroup(groupId(7));
    await engine.dropGroup(groupId(7));
    expect(await engine.listGroups()).toEqual([1, 2, 9, 0xffffffff]);
    expect(() => g7.lastIndex()).toThrow(/dropped/);
    const fresh = await engine.openGroup(groupId(7));
    expect(fresh.lastIndex()).toBe(0);
    expect((await new LevelRaftLogEngine(db).openGroup(G2)).lastIndex()).toBe(3);
    const g2 = await engine.openGroup(G2);
    const dropping = engine.dropGroup(G2);
    const during = engine.newBatch();
    during.append(g2, range(4, 4, 1));
    await expect(engine.commit(during)).rejects.toThrow(/still being written|staged before/);
    await dropping;
    expect(await engine.listGroups()).toEqual([1, 9, 0xffffffff]);
    await engine.close();
  });
});

describe('log engine: several changes to one group in one batch', () => {
  /** Commits `stage` on a fresh engine holding `initial`; checks the result survives a reopen. */
  async function afterBatch(initial: LogEntry[], stage: (b: ReturnType<LevelRaftLogEngine['newBatch']>, log: GroupLog) => void) {
    const db = await openMemoryDb();
    const engine = new LevelRaftLogEngine(db);
    const log = await engine.openGroup(G1);
    if (initial.length > 0) await appendCommit(engine, log, initial);
    const b = engine.newBatch();
    stage(b, log);
    await engine.commit(b);
    expect(dump(await new LevelRaftLogEngine(db).openGroup(G1))).toEqual(dump(log));
    const terms = log.lastIndex() >= log.firstIndex() ? log.entries(log.firstIndex(), log.lastIndex() + 1, Number.MAX_SAFE_INTEGER).map((e) => `${e.index}:${e.term}`) : [];
    return { log, terms, batchWasEmpty: b.isEmpty };
  }

  it("appends, then compacts into the new entries (a round's entries with last round's compaction)", async () => {
    const { log, terms } = await afterBatch(range(1, 4, 1), (b, l) => {
      b.append(l, range(5, 8, 2));
      b.compact(l, 6, meta(6, 2));
    });
    expect(log.firstIndex()).toBe(7);
    expect(log.term(6)).toBe(2);
    expect(terms).toEqual(['7:2', '8:2']);
  });

  it('compacts, then appends after the compaction point', async () => {
    const { log, terms } = await afterBatch(range(1, 4, 1), (b, l) => {
      b.compact(l, 3, meta(3, 1));
      b.append(l, range(4, 6, 2));
    });
    expect(log.firstIndex()).toBe(4);
    expect(terms).toEqual(['4:2', '5:2', '6:2']);
  });

  it('compacts only staged entries, below what the batch already appended', async () => {
    const { log, terms } = await afterBatch([], (b, l) => {
      b.append(l, range(1, 3, 1));
      b.append(l, range(4, 5, 1));
      b.compact(l, 2, meta(2, 1));
    });
    expect(log.firstIndex()).toBe(3);
    expect(terms).toEqual(['3:1', '4:1', '5:1']);
  });

  it('overwrites, within the batch, a suffix the batch itself appended', async () => {
    const { terms } = await afterBatch(range(1, 2, 1), (b, l) => {
      b.append(l, range(3, 6, 1));
      b.append(l, range(5, 5, 2));
      // The predecessor's term is read from the staged entries: 4 has term 1, so term 2 at 5 is fine.
      b.append(l, range(6, 7, 2));
    });
    expect(terms).toEqual(['1:1', '2:1', '3:1', '4:1', '5:2', '6:2', '7:2']);
  });

  it('overwrites, within the batch, entries it appended over stored ones', async () => {
    const { terms } = await afterBatch(range(1, 6, 1), (b, l) => {
      b.append(l, range(3, 4, 2));
      b.append(l, range(2, 2, 3));
    });
    expect(terms).toEqual(['1:1', '2:3']);
  });

  it('skips entries at or below the compaction point, writing only what follows it', async () => {
    const below = await afterBatch(range(1, 6, 1), (b, l) => {
      b.compact(l, 4, meta(4, 1));
      b.append(l, range(2, 4, 1));
    });
    expect(below.terms).toEqual(['5:1', '6:1']);
    const straddling = await afterBatch(range(1, 6, 1), (b, l) => {
      b.compact(l, 4, meta(4, 1));
      b.append(l, range(3, 5, 2));
    });
    expect(straddling.log.firstIndex()).toBe(5);
    expect(straddling.terms).toEqual(['5:2']);
    const nothing = await afterBatch(range(1, 6, 1), (b, l) => b.append(l, []));
    expect(nothing.batchWasEmpty).toBe(true);
    expect(nothing.terms).toEqual(['1:1', '2:1', '3:1', '4:1', '5:1', '6:1']);
  });

  it('installs a snapshot, then appends after it; entries before it are gone', async () => {
    const { log, terms } = await afterBatch(range(1, 5, 1), (b, l) => {
      b.applySnapshot(l, { metadata: meta(3, 1), data: new Uint8Array(0) });
      b.append(l, range(4, 4, 2));
      b.append(l, range(5, 5, 2));
    });
    expect(log.firstIndex()).toBe(4);
    expect(terms).toEqual(['4:2', '5:2']);
  });

  it('refuses what breaks the log: broken runs, falling terms, an old snapshot, a foreign or dropped log', async () => {
    const engine = await openMemoryLogEngine();
    const log = await engine.openGroup(G1);
    await appendCommit(engine, log, range(1, 4, 2));
    const b = engine.newBatch();
    expect(() => b.append(log, [entry(5, 2), entry(7, 2)])).toThrow(/not contiguous at position 1/);
    expect(() => b.append(log, [entry(5, 3), entry(6, 2)])).toThrow(/terms decrease at index 6/);
    expect(() => b.append(log, [entry(5, 1)])).toThrow(/entry 5 has term 1 below its predecessor's 2/);
    expect(() => b.compact(log, 3, meta(2, 2))).toThrow(/compact\(3\) with snapshot metadata at 2/);
    b.compact(log, 2, meta(2, 2));
    expect(() => b.applySnapshot(log, { metadata: meta(2, 2), data: new Uint8Array(0) })).toThrow(/not newer than the compaction point 2/);
    expect(b.isEmpty).toBe(false);

    const other = await openMemoryLogEngine();
    const foreign = await other.openGroup(G1);
    expect(() => engine.newBatch().append(foreign, range(1, 1, 1))).toThrow(/not opened by the engine that made the batch/);
    const second = await engine.openGroup(G2);
    await engine.dropGroup(G2);
    // A dropped group's log is no longer one of the engine's open logs.
    expect(() => engine.newBatch().append(second, range(1, 1, 1))).toThrow(/group 2: this GroupLog was not opened by the engine/);
  });
});

describe('log engine: corruption', () => {
  const BYTES = { keyEncoding: 'view', valueEncoding: 'view' } as const;

  async function storeEntries(db: StorageDb): Promise<void> {
    const engine = new LevelRaftLogEngine(db);
    await appendCommit(engine, await engine.openGroup(G2), range(1, 10, 1));
  }

  it('names the group and index of an entry whose byte was flipped', async () => {
    for (const offset of [0, 5, 12, 20, 29]) {
      const db = await openMemoryDb();
      await storeEntries(db);
      const key = entryKey(G2, 7);
      const stored = Uint8Array.from((await db.get(key, BYTES))!);
      expect(offset).toBeLessThan(stored.length);
      stored[offset] = stored[offset]! ^ 0x10;
      await db.put(key, stored, BYTES);
      const err = await new LevelRaftLogEngine(db).openGroup(G2).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CorruptionError);
      expect((err as CorruptionError).group).toBe(G2);
      expect((err as CorruptionError).index).toBe(7);
    }
  });

  it('reports a gap in the log and an entry stored under the wrong index', async () => {
    const db = await openMemoryDb();
    await storeEntries(db);
    await db.del(entryKey(G2, 4), BYTES);
    const gap = await new LevelRaftLogEngine(db).openGroup(G2).catch((e: unknown) => e);
    expect(gap).toMatchObject({ name: 'CorruptionError', group: G2, index: 5 });
    await db.put(entryKey(G2, 4), (await db.get(entryKey(G2, 3), BYTES))!, BYTES);
    const moved = await new LevelRaftLogEngine(db).openGroup(G2).catch((e: unknown) => e);
    expect(moved).toMatchObject({ name: 'CorruptionError', group: G2, index: 4 });
  });
});

// ---- model-based: random rounds against a plain array model, checked after each commit and reopen ----

interface ModelGroup {
  snap: LogSnapshot['metadata'];
  entries: LogEntry[];
  hs: { term: number; vote: number; commit: number };
}

type Op =
  | { kind: 'append'; group: number; back: number; count: number; bumpTerm: boolean }
  | { kind: 'compact'; group: number; keep: number }
  | { kind: 'snapshot'; group: number; ahead: number }
  | { kind: 'hardState'; group: number; commit: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('append' as const), group: fc.integer({ min: 0, max: 2 }), back: fc.integer({ min: 0, max: 4 }), count: fc.integer({ min: 1, max: 6 }), bumpTerm: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const), group: fc.integer({ min: 0, max: 2 }), keep: fc.integer({ min: 0, max: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('snapshot' as const), group: fc.integer({ min: 0, max: 2 }), ahead: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('hardState' as const), group: fc.integer({ min: 0, max: 2 }), commit: fc.nat(50) }) },
);

function modelLast(m: ModelGroup): number {
  return m.snap.index + m.entries.length;
}
function modelTerm(m: ModelGroup, i: number): number {
  return i === m.snap.index ? m.snap.term : m.entries[i - m.snap.index - 1]!.term;
}

describe('log engine: random rounds match a model', () => {
  it('after every commit and after reopening', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(opArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 }), async (rounds) => {
        const db = await openMemoryDb();
        const engine = new LevelRaftLogEngine(db);
        const groups: GroupId[] = [groupId(3), groupId(4), groupId(5)];
        const logs = await Promise.all(groups.map((g) => engine.openGroup(g)));
        const models: ModelGroup[] = groups.map(() => ({ snap: meta(0, 0), entries: [], hs: { term: 0, vote: 0, commit: 0 } }));
        models.forEach((m) => (m.snap = { ...m.snap, confState: { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } }));
        for (const round of rounds) {
          const b = engine.newBatch();
          const next = models.map((m) => ({ snap: m.snap, entries: m.entries.slice(), hs: m.hs }));
          for (const op of round) {
            const m = next[op.group]!;
            const log = logs[op.group]!;
            const last = modelLast(m);
            if (op.kind === 'append') {
              const from = Math.max(m.snap.index + 1, last + 1 - op.back);
              const term = modelTerm(m, from - 1) + (op.bumpTerm ? 1 : 0);
              const es = range(from, from + op.count - 1, Math.max(term, 1));
              b.append(log, es);
              m.entries.length = from - m.snap.index - 1;
              m.entries.push(...es);
            } else if (op.kind === 'compact') {
              const index = last - op.keep;
              if (index <= m.snap.index) continue;
              const md = meta(index, modelTerm(m, index));
              b.compact(log, index, md);
              m.entries = m.entries.slice(index - m.snap.index);
              m.snap = md;
            } else if (op.kind === 'snapshot') {
              const md = meta(last + op.ahead, modelTerm(m, last) + 1);
              b.applySnapshot(log, { metadata: md, data: new Uint8Array(0) });
              m.entries = [];
              m.snap = md;
            } else {
              const hs = { term: 7, vote: nodeId(2), commit: op.commit };
              b.setHardState(log, hs);
              m.hs = hs;
            }
          }
          await engine.commit(b);
          models.splice(0, models.length, ...next);
          for (let i = 0; i < groups.length; i++) {
            const m = models[i]!;
            const expected = {
              first: m.snap.index + 1,
              last: modelLast(m),
              snap: m.snap,
              entries: m.entries.map((e) => ({ ...e, data: Uint8Array.from(e.data) })),
              hs: m.hs,
              sizeBytes: m.entries.reduce((sum, e) => sum + logEntrySizeBytes(e), 0),
            };
            expect(dump(logs[i]!)).toEqual(expected);
          }
        }
        const reopened = new LevelRaftLogEngine(db);
        for (let i = 0; i < groups.length; i++) expect(dump(await reopened.openGroup(groups[i]!))).toEqual(dump(logs[i]!));
        await engine.close();
      }),
      { numRuns: 60 },
    );
  });
});
