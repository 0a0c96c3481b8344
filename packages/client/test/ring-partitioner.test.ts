import { Ring } from '@ringkv/ring';
import { nodeId } from '@ringkv/stdx';
import { describe, expect, it } from 'vitest';
import { ringPartitioner } from '../src/ring-partitioner';
import { keyBytes } from '../src/values';

describe('ringPartitioner', () => {
  it('maps keys to the partitions the nodes compute, for string keys and their bytes', () => {
    const placement = {
      partitions: 16,
      replicationFactor: 3,
      nodes: [1, 2, 3].map((id) => ({ id, address: `127.0.0.1:${8000 + id}` })),
      groups: [],
    };
    const partitionOf = ringPartitioner(placement);
    const ring = Ring.create({ nodes: [1, 2, 3].map((id) => ({ id: nodeId(id) })), partitions: 16, replicationFactor: 3 });
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const key = `user/${i}/é`;
      const p = partitionOf(keyBytes(key));
      expect(p).toBe(ring.partitionOf(key));
      seen.add(p);
    }
    expect(seen.size).toBe(16);
  });
  it('reuses the ring for an equal placement and rebuilds it when the membership changes', () => {
    const placement = (partitions: number, ids: number[]) => ({
      partitions,
      replicationFactor: 3,
      nodes: ids.map((id) => ({ id, address: `127.0.0.1:${8000 + id}` })),
      groups: [],
    });
    const a = ringPartitioner(placement(16, [1, 2, 3]));
    expect(ringPartitioner(placement(16, [1, 2, 3]))).toBe(a);
    const b = ringPartitioner(placement(64, [1, 2, 3]));
    expect(b).not.toBe(a);
    const ring64 = Ring.create({ nodes: [1, 2, 3].map((id) => ({ id: nodeId(id) })), partitions: 64, replicationFactor: 3 });
    for (let i = 0; i < 100; i++) expect(b(keyBytes(`k${i}`))).toBe(ring64.partitionOf(`k${i}`));
    expect(ringPartitioner(placement(16, [1, 2, 3, 4]))).not.toBe(b);
  });
});
