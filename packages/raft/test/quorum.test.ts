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
