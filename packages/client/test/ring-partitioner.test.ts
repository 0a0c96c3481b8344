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
});
