import { describe, expect, it } from 'vitest';
import { RaftLog } from '../src/log';
import { CompactedError, MemoryStorage, UnavailableError } from '../src/index';
import { confState, ent, ents } from './helpers';

function logWith(stored: [number, number][], unstable: [number, number][] = []): RaftLog {
  const s = new MemoryStorage(confState([1]));
  s.append(ents(...stored));
  const l = new RaftLog(s, 1 << 20);
  if (unstable.length > 0) l.append(ents(...unstable));
  return l;
}

describe('RaftLog', () => {
  it('findConflict returns the first mismatch or 0', () => {
    const l = logWith([[1, 1], [2, 2], [3, 3]]);
    expect(l.findConflict([])).toBe(0);
    expect(l.findConflict(ents([1, 1], [2, 2], [3, 3]))).toBe(0);
    expect(l.findConflict(ents([2, 2], [3, 3], [4, 4]))).toBe(4);
    expect(l.findConflict(ents([2, 1], [3, 4]))).toBe(2);
    expect(l.findConflict(ents([3, 1]))).toBe(3);
  });

  it('findConflictByTerm finds the largest index with term <= the given term', () => {
    const l = logWith([[1, 1], [2, 1], [3, 3], [4, 3], [5, 5]]);
    expect(l.findConflictByTerm(5, 4)).toEqual([4, 3]);
    expect(l.findConflictByTerm(5, 5)).toEqual([5, 5]);
    expect(l.findConflictByTerm(4, 2)).toEqual([2, 1]);
    expect(l.findConflictByTerm(5, 0)).toEqual([0, 0]);
  });

  it('maybeAppend appends after a match, truncates only on conflict, and commits up to the new last index', () => {
    const l = logWith([[1, 1], [2, 2], [3, 3]]);
    expect(l.maybeAppend(3, 2, 3, ents([4, 4]))).toBeUndefined(); // term mismatch at 3
    expect(l.maybeAppend(4, 3, 3, [])).toBeUndefined(); // we do not have 4
    expect(l.maybeAppend(3, 3, 10, ents([4, 4]))).toBe(4);
    expect(l.committed).toBe(4); // min(leader commit, last new)
    expect(l.lastIndex()).toBe(4);
    // A stale duplicate of an older MsgApp must not truncate what followed it.
    expect(l.maybeAppend(1, 1, 2, ents([2, 2]))).toBe(2);
    expect(l.lastIndex()).toBe(4);
  });

  it('refuses to truncate at or below the commit index', () => {
    const l = logWith([[1, 1], [2, 2], [3, 3]]);
    l.commitTo(3);
    expect(() => l.maybeAppend(1, 1, 3, ents([2, 5]))).toThrow(/conflicts with committed/);
    expect(() => l.maybeAppend(2, 2, 3, ents([3, 5]))).toThrow(/conflicts with committed/); // at the commit index itself
    // Appending straight over committed entries is a bug as well; right after the commit index is not.
    expect(() => l.append(ents([3, 5]))).toThrow(/out of range \[committed\(3\)\]/);
    expect(l.append(ents([4, 5]))).toBe(4);
  });

  it('truncates a conflicting uncommitted suffix', () => {
    const l = logWith([[1, 1], [2, 2], [3, 3]]);
    l.commitTo(1);
    expect(l.maybeAppend(1, 1, 1, ents([2, 4]))).toBe(2);
    expect(l.lastIndex()).toBe(2);
    expect(l.term(2)).toBe(4);
  });

  it('maybeCommit only commits an entry of the given term (Raft §5.4.2)', () => {
    const l = logWith([[1, 1], [2, 2]]);
    expect(l.maybeCommit(2, 3)).toBe(false);
    expect(l.committed).toBe(0);
    expect(l.maybeCommit(2, 2)).toBe(true);
    expect(l.committed).toBe(2);
    expect(l.maybeCommit(1, 1)).toBe(false); // never moves back
    expect(l.committed).toBe(2);
  });

  it('commitTo past the last index is a bug', () => {
    const l = logWith([[1, 1]]);
    expect(() => l.commitTo(2)).toThrow(/out of range/);
  });

  it('isUpToDate compares last term, then last index', () => {
    const l = logWith([[1, 1], [2, 2], [3, 2]]);
    expect(l.isUpToDate(1, 3)).toBe(true);
    expect(l.isUpToDate(3, 2)).toBe(true);
    expect(l.isUpToDate(4, 2)).toBe(true);
    expect(l.isUpToDate(2, 2)).toBe(false);
    expect(l.isUpToDate(9, 1)).toBe(false);
  });

  it('term throws typed errors outside the log', () => {
    const s = new MemoryStorage(confState([1]));
    s.append(ents([1, 1], [2, 1], [3, 2], [4, 2]));
    s.createSnapshot(2, confState([1]), new Uint8Array());
    s.compact(2);
    const l = new RaftLog(s, 1 << 20);
    expect(l.firstIndex()).toBe(3);
    expect(l.term(2)).toBe(1); // the snapshot's term stays known
    expect(() => l.term(1)).toThrow(CompactedError);
    expect(() => l.term(5)).toThrow(UnavailableError);
    expect(l.termOrUndefined(5)).toBeUndefined();
    expect(() => l.slice(1, 3, 100)).toThrow(CompactedError);
    // A log compacted up to its last entry: the next index is not compacted, just not there yet.
    s.compact(4);
    const empty = new RaftLog(s, 1 << 20);
    expect(empty.term(4)).toBe(2);
    expect(() => empty.term(5)).toThrow(UnavailableError);
  });

  it('slices across storage and unstable, honouring the size limit but returning at least one entry', () => {
    const l = logWith([[1, 1], [2, 1]], [[3, 2], [4, 2]]);
    expect(l.slice(1, 5, 1 << 20).map((e) => e.index)).toEqual([1, 2, 3, 4]);
    expect(l.slice(2, 4, 1 << 20).map((e) => e.index)).toEqual([2, 3]);
    expect(l.slice(1, 5, 1).map((e) => e.index)).toEqual([1]);
    expect(l.slice(1, 5, 40).map((e) => e.index)).toEqual([1, 2]);
    expect(l.slice(3, 3, 100)).toEqual([]);
  });

  it('hands out committed entries once, from applied + 1', () => {
    const l = logWith([[1, 1], [2, 1], [3, 1]]);
    expect(l.hasNextCommittedEntries()).toBe(false);
    l.commitTo(2);
    expect(l.nextCommittedEntries().map((e) => e.index)).toEqual([1, 2]);
    l.appliedTo(2);
    expect(l.hasNextCommittedEntries()).toBe(false);
    expect(() => l.appliedTo(3)).toThrow(/out of range/);
    l.appliedTo(2); // the same index again is fine; going back is a bug
    expect(() => l.appliedTo(1)).toThrow(/out of range/);
  });

  it('lastPersistedIndex stops at the unstable offset', () => {
    const l = logWith([[1, 1], [2, 1], [3, 1]]);
    expect(l.lastPersistedIndex()).toBe(3);
    l.append([ent(3, 2), ent(4, 2)]);
    expect(l.lastPersistedIndex()).toBe(2);
    l.stableTo(4, 2);
    expect(l.lastPersistedIndex()).toBe(3); // storage in this test was not updated
  });
});
