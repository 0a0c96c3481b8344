import { describe, expect, it } from 'vitest';
import { CompactedError, MemoryStorage, SnapshotOutOfDateError, UnavailableError } from '../src/index';
import { confState, ent, ents } from './helpers';

describe('MemoryStorage', () => {
  it('appends, replaces conflicting suffixes and ignores compacted entries', () => {
    const s = new MemoryStorage(confState([1]));
    s.append(ents([1, 1], [2, 1], [3, 1]));
    s.append(ents([2, 2]));
    expect(s.lastIndex()).toBe(2);
    expect(s.term(2)).toBe(2);
    expect(() => s.append(ents([5, 2]))).toThrow(/missing log entry/);
    s.createSnapshot(2, confState([1]), new Uint8Array([7]));
    s.compact(2);
    s.append(ents([1, 1], [2, 2], [3, 2]));
    expect(s.firstIndex()).toBe(3);
    expect(s.lastIndex()).toBe(3);
  });

  it('throws typed errors outside its range', () => {
    const s = new MemoryStorage(confState([1]));
    s.append(ents([1, 1], [2, 1], [3, 2]));
    s.createSnapshot(2, confState([1]), new Uint8Array());
    s.compact(2);
    expect(() => s.term(1)).toThrow(CompactedError);
    expect(s.term(2)).toBe(1);
    expect(() => s.term(4)).toThrow(UnavailableError);
    expect(() => s.entries(2, 3, 100)).toThrow(CompactedError);
    expect(() => s.compact(2)).toThrow(CompactedError);
    expect(() => s.createSnapshot(1, confState([1]), new Uint8Array())).toThrow(SnapshotOutOfDateError);
  });

  it('limits entries by size but returns at least one', () => {
    const s = new MemoryStorage(confState([1]));
    s.append([ent(1, 1, 'aaaa'), ent(2, 1, 'bbbb'), ent(3, 1, 'cccc')]);
    expect(s.entries(1, 4, 1).length).toBe(1);
    expect(s.entries(1, 4, 40).length).toBe(2);
    expect(s.entries(1, 4, 1000).length).toBe(3);
  });

  it('applySnapshot replaces the log and refuses older snapshots', () => {
    const s = new MemoryStorage(confState([1]));
    s.append(ents([1, 1], [2, 1]));
    const snap = { metadata: { index: 10, term: 3, confState: confState([1, 2]) }, data: new Uint8Array([1]) };
    s.applySnapshot(snap);
    expect(s.firstIndex()).toBe(11);
    expect(s.lastIndex()).toBe(10);
    expect(s.term(10)).toBe(3);
    expect(s.initialState().confState.voters).toEqual([1, 2]);
    expect(() => s.applySnapshot({ ...snap, metadata: { ...snap.metadata, index: 9 } })).toThrow(SnapshotOutOfDateError);
  });
});
