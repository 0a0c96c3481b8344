import type { NodeId } from '@ringkv/stdx';
import { describe, expect, it } from 'vitest';
import { RING_CONFIG_VERSION, Ring } from '../src/index';

// Clients and nodes of different builds must compute the same placement from the same config.
// If this test fails, the placement rules changed: bump RING_CONFIG_VERSION, then re-pin.
describe('pinned placement (version 1)', () => {
  it('places a 5-node, 8-partition, RF 3 ring exactly as version 1 always has', () => {
    expect(RING_CONFIG_VERSION).toBe(1);
    const ring = Ring.create({ nodes: [3, 1, 5, 2, 4].map((id) => ({ id: id as NodeId })), partitions: 8 });
    expect(ring.placement()).toEqual({
      partitions: 8,
      replicas: [[4, 3, 1], [4, 1, 2], [5, 1, 3], [1, 5, 4], [1, 2, 3], [5, 3, 1], [1, 4, 5], [4, 1, 5]],
      preferredLeaders: [4, 1, 5, 1, 2, 3, 4, 5],
    });
  });
});
