import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jointCommitted, jointVoteResult } from '../src/quorum/joint';
import { majorityCommitted, majorityVoteResult } from '../src/quorum/majority';

const set = (...xs: number[]) => new Set(xs);
const acked = (m: Record<number, number>) => (id: number) => m[id] ?? 0;

describe('majority', () => {
  it('committed is the highest index a majority has', () => {
    expect(majorityCommitted(set(), acked({}))).toBe(Number.MAX_SAFE_INTEGER);
    expect(majorityCommitted(set(1), acked({ 1: 5 }))).toBe(5);
    expect(majorityCommitted(set(1, 2), acked({ 1: 5, 2: 3 }))).toBe(3);
    expect(majorityCommitted(set(1, 2, 3), acked({ 1: 5, 2: 3, 3: 1 }))).toBe(3);
    expect(majorityCommitted(set(1, 2, 3), acked({ 1: 5 }))).toBe(0);
    expect(majorityCommitted(set(1, 2, 3, 4), acked({ 1: 9, 2: 8, 3: 7, 4: 6 }))).toBe(7);
    expect(majorityCommitted(set(1, 2, 3, 4, 5), acked({ 1: 9, 2: 8, 3: 7, 4: 6, 5: 1 }))).toBe(7);
  });

  it('committed is the value at the majority position of the acknowledgements sorted high to low, for any voters', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 50 }), { maxLength: 9 }), fc.array(fc.nat({ max: 1000 }), { minLength: 9, maxLength: 9 }), (ids, values) => {
        const m = Object.fromEntries(ids.map((id, i) => [id, values[i]!]));
        const sorted = ids.map((id) => m[id]!).sort((a, b) => b - a);
        const want = ids.length === 0 ? Number.MAX_SAFE_INTEGER : sorted[Math.floor(ids.length / 2)];
        expect(majorityCommitted(new Set(ids), acked(m))).toBe(want);
        // Twice in a row, a larger set then a smaller one: nothing of one call leaks into the next.
        expect(majorityCommitted(new Set([...ids, 99]), acked({ ...m, 99: 0 }))).toBe([...sorted, 0].sort((a, b) => b - a)[Math.floor((ids.length + 1) / 2)]);
        expect(majorityCommitted(new Set(ids), acked(m))).toBe(want);
      }),
      { numRuns: 500 },
    );
  });

  it('vote result needs a strict majority', () => {
    const v = (m: Record<number, boolean>) => new Map(Object.entries(m).map(([k, b]) => [Number(k), b]));
    expect(majorityVoteResult(set(), v({}))).toBe('won');
    expect(majorityVoteResult(set(1, 2, 3), v({ 1: true }))).toBe('pending');
    expect(majorityVoteResult(set(1, 2, 3), v({ 1: true, 2: true }))).toBe('won');
    expect(majorityVoteResult(set(1, 2, 3), v({ 1: true, 2: false }))).toBe('pending');
    expect(majorityVoteResult(set(1, 2, 3), v({ 1: true, 2: false, 3: false }))).toBe('lost');
    expect(majorityVoteResult(set(1, 2, 3, 4), v({ 1: true, 2: true }))).toBe('pending');
    expect(majorityVoteResult(set(1, 2, 3, 4), v({ 1: true, 2: true, 3: false, 4: false }))).toBe('lost');
    expect(majorityVoteResult(set(1, 2), v({ 9: true, 1: true }))).toBe('pending'); // non-voters do not count
  });
});

describe('joint', () => {
  it('committed is the minimum of both halves', () => {
    expect(jointCommitted(set(1, 2, 3), set(), acked({ 1: 5, 2: 5, 3: 1 }))).toBe(5);
    expect(jointCommitted(set(1, 2, 3), set(3, 4, 5), acked({ 1: 5, 2: 5, 3: 1, 4: 2, 5: 9 }))).toBe(2);
  });

  it('a vote needs both halves; one lost half loses', () => {
    const v = (m: Record<number, boolean>) => new Map(Object.entries(m).map(([k, b]) => [Number(k), b]));
    expect(jointVoteResult(set(1, 2, 3), set(3, 4, 5), v({ 1: true, 2: true }))).toBe('pending');
    expect(jointVoteResult(set(1, 2, 3), set(3, 4, 5), v({ 1: true, 2: true, 3: true, 4: true }))).toBe('won');
    expect(jointVoteResult(set(1, 2, 3), set(3, 4, 5), v({ 1: true, 2: true, 4: false, 5: false }))).toBe('lost');
  });
});
