/**
 * The in-memory log of one group, held in columns with its entries' bytes copied into shared
 * chunks: against a plain array of entries under appends (with overwrites), compactions and
 * snapshots, every read gives what the array would.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupId } from '@ringkv/stdx';
import type { LogEntry, LogSnapshot } from '../src/interfaces';
import { EMPTY_HARD_STATE, EMPTY_SNAPSHOT_META, MemoryGroupLog, logEntrySizeBytes } from '../src/group-log';

const meta = (index: number, term: number): LogSnapshot['metadata'] => ({ ...EMPTY_SNAPSHOT_META, index, term });

/** Entry data: mostly small, sometimes past a chunk's share (64 KiB), some empty. */
const dataSize = fc.oneof({ weight: 12, arbitrary: fc.nat({ max: 300 }) }, { weight: 1, arbitrary: fc.constantFrom(3_000, 65_536, 70_000) }, { weight: 1, arbitrary: fc.constant(0) });

/** Entries compared field by field, their bytes with Buffer.equals (toEqual walks them one by one). */
function expectEntries(actual: LogEntry[], expected: LogEntry[]): void {
  expect(actual.map(({ term, index, type, data }) => ({ term, index, type, size: data.length }))).toEqual(expected.map(({ term, index, type, data }) => ({ term, index, type, size: data.length })));
  actual.forEach((e, i) => expect(Buffer.from(e.data).equals(expected[i]!.data)).toBe(true));
}

const step = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), back: fc.nat({ max: 3 }), sizes: fc.array(dataSize, { minLength: 1, maxLength: 6 }), conf: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const), keep: fc.nat({ max: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('snapshot' as const), ahead: fc.nat({ max: 5 }) }) },
);

function data(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (seed * 31 + i * 7) & 0xff;
  return out;
}

describe('MemoryGroupLog', () => {
  it('reads like the array of entries it was given, through appends, overwrites, compactions and snapshots', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const log = new MemoryGroupLog(groupId(1), EMPTY_HARD_STATE, meta(0, 0), []);
        let snap = meta(0, 0);
        let model: LogEntry[] = [];
        let term = 1;
        let seed = 0;
        for (const s of steps) {
          if (s.kind === 'append') {
            const from = Math.max(snap.index + 1, snap.index + model.length + 1 - s.back);
            term++;
            const entries: LogEntry[] = s.sizes.map((size, i) => ({ term, index: from + i, type: s.conf && i === 0 ? 'confChange' : 'normal', data: data(size, seed++) }));
            const given = entries.map((e) => ({ ...e, data: e.data.slice() }));
            log.applyDurableAppend(given);
            // The log keeps copies: the caller's buffers may change afterwards.
            for (const e of given) e.data.fill(0xee);
            model = model.slice(0, from - snap.index - 1).concat(entries);
          } else if (s.kind === 'compact') {
            if (model.length === 0) continue;
            const drop = Math.max(1, model.length - s.keep);
            snap = meta(model[drop - 1]!.index, model[drop - 1]!.term);
            log.applyDurableCompact(snap);
            model = model.slice(drop);
          } else {
            snap = meta(snap.index + model.length + s.ahead, term);
            log.applyDurableSnapshot(snap);
            model = [];
          }
          expect(log.firstIndex()).toBe(snap.index + 1);
          expect(log.lastIndex()).toBe(snap.index + model.length);
          expect(log.term(snap.index)).toBe(snap.term);
          expect(log.sizeBytes).toBe(model.reduce((sum, e) => sum + logEntrySizeBytes(e), 0));
          for (const e of model) expect(log.term(e.index)).toBe(e.term);
          const all = log.entries(snap.index + 1, snap.index + model.length + 1, Number.MAX_SAFE_INTEGER);
          expectEntries(all, model);
          if (model.length > 1) {
            // A size limit stops before the entry that passes it, but always gives one.
            const limit = logEntrySizeBytes(model[0]!) + logEntrySizeBytes(model[1]!) - 1;
            expectEntries(log.entries(snap.index + 1, snap.index + model.length + 1, limit), model.slice(0, 1));
            const last = snap.index + model.length;
            const within = log.firstWithin(snap.index + 1, last, logEntrySizeBytes(model[model.length - 1]!));
            expect(within).toBe(last);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('lets go of the chunks no kept entry is in, large entries\' own chunks too', () => {
    const log = new MemoryGroupLog(groupId(3), EMPTY_HARD_STATE, meta(0, 0), []);
    const held = (l: MemoryGroupLog): number => (l as unknown as { chunks: Uint8Array[] }).chunks.filter((c) => c.length > 0).length;
    const chunksHeld = (): number => held(log);
    let index = 1;
    for (let round = 0; round < 50; round++) {
      // Small entries filling tail chunks, a large one with its own between them.
      log.applyDurableAppend([2_000, 70_000, 3_000, 1_000].map((size) => ({ term: 1, index: index++, type: 'normal' as const, data: data(size, index) })));
      if (round % 5 === 4) log.applyDurableCompact(meta(index - 2, 1));
    }
    // One entry kept: its chunk and the tail at most.
    expect(log.lastIndex() - log.firstIndex() + 1).toBe(1);
    expect(chunksHeld()).toBeLessThanOrEqual(2);
    log.applyDurableSnapshot(meta(index + 10, 2));
    expect(chunksHeld()).toBeLessThanOrEqual(1);
    // Only large entries (no tail chunk at all), then compacted away.
    const large = new MemoryGroupLog(groupId(4), EMPTY_HARD_STATE, meta(0, 0), []);
    large.applyDurableAppend([1, 2, 3].map((i) => ({ term: 1, index: i, type: 'normal' as const, data: data(70_000, i) })));
    large.applyDurableCompact(meta(3, 1));
    expect(held(large)).toBe(0);
  });

  it('fails reads outside the log as compacted or unavailable', () => {
    const log = new MemoryGroupLog(groupId(2), EMPTY_HARD_STATE, meta(10, 3), [{ term: 3, index: 11, type: 'normal', data: data(4, 1) }]);
    expect(() => log.term(9)).toThrow(/compacted/i);
    expect(() => log.term(12)).toThrow();
    expect(() => log.entries(9, 11, 100)).toThrow(/compacted/i);
    expect(() => log.entries(11, 13, 100)).toThrow();
    expect(log.entries(11, 12, 100)).toEqual([{ term: 3, index: 11, type: 'normal', data: data(4, 1) }]);
  });
});
