import type { NodeId } from '@ringkv/stdx';
import { describe, expect, it } from 'vitest';
import { preferredLeaders } from '../src/preferred-leaders';

const lists = (...l: number[][]) => l.map((r) => r as NodeId[]);

describe('preferred leaders', () => {
  it('frees a slot along a chain of replicas when every replica of a partition is at the cap', () => {
    // Greedy gives p0→1, p1→2, p2→3; p3's replicas {1, 2} are then full. The chain
    // 2 gives up p1 to 3, 3 gives up p2 to 4 lets 2 lead p3: every node leads exactly one.
    const leaders = preferredLeaders(lists([1, 2], [2, 3], [3, 4], [1, 2]), 4);
    expect(leaders).toEqual([1, 3, 4, 2]);
  });

  it('goes to cap + 1 only when no assignment within the cap exists', () => {
    // Three partitions all on nodes {1, 2}, with 3 nodes: cap ceil(3/3) = 1 is impossible.
    const leaders = preferredLeaders(lists([1, 2], [2, 1], [1, 2], [3, 1]), 3);
    const counts = new Map<number, number>();
    for (const l of leaders) counts.set(l, (counts.get(l) ?? 0) + 1);
    expect(Math.max(...counts.values())).toBe(2);
    leaders.forEach((l, p) => expect([[1, 2], [2, 1], [1, 2], [3, 1]][p]).toContain(l));
  });

  it('with one replica per partition, the replica is the leader', () => {
    expect(preferredLeaders(lists([5], [5], [7]), 2)).toEqual([5, 5, 7]);
  });

  it('prefers the earlier replica in the preference list on a tie', () => {
    expect(preferredLeaders(lists([2, 1], [1, 2]), 2)).toEqual([2, 1]);
  });
});
