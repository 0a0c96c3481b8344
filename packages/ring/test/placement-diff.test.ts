import type { NodeId } from '@ringkv/stdx';
import { describe, expect, it } from 'vitest';
import type { Placement } from '../src/index';
import { PlacementMismatchError, Ring, diffPlacements } from '../src/index';

const placement = (...replicas: number[][]): Placement => ({
  partitions: replicas.length,
  replicas: replicas as NodeId[][],
  preferredLeaders: replicas.map((r) => r[0]! as NodeId),
});

describe('diffPlacements', () => {
  it('is empty for equal placements', () => {
    const ring = Ring.create({ nodes: [1, 2, 3, 4].map((id) => ({ id: id as NodeId })) });
    expect(diffPlacements(ring.placement(), ring.placement())).toEqual([]);
  });

  it('pairs removed and added replicas by node id, partition by partition', () => {
    const moves = diffPlacements(placement([1, 2, 3], [4, 5, 6]), placement([3, 9, 8], [4, 5, 6]));
    expect(moves).toEqual([
      { partition: 0, from: 1, to: 8 },
      { partition: 0, from: 2, to: 9 },
    ]);
  });

  it('reports replicas added or dropped when the replica count changes', () => {
    expect(diffPlacements(placement([1, 2]), placement([1, 2, 3]))).toEqual([{ partition: 0, to: 3 }]);
    expect(diffPlacements(placement([1, 2, 3]), placement([2]))).toEqual([{ partition: 0, from: 1 }, { partition: 0, from: 3 }]);
  });

  it('ignores a change of order inside a replica set (no data moves)', () => {
    expect(diffPlacements(placement([1, 2, 3]), placement([3, 1, 2]))).toEqual([]);
  });

  it('refuses placements with different partition counts', () => {
    expect(() => diffPlacements(placement([1]), placement([1], [1]))).toThrow(PlacementMismatchError);
    expect(() => diffPlacements(placement([1]), placement([1], [1]))).toThrow(/re-shards every key/);
  });
});
