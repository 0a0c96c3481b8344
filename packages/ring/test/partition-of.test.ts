import type { NodeId } from '@ringkv/stdx';
import { utf8Encode } from '@ringkv/stdx';
import { describe, expect, it } from 'vitest';
import { Ring } from '../src/index';

const ring = Ring.create({ nodes: [1, 2, 3].map((id) => ({ id: id as NodeId })) });

describe('partitionOf', () => {
  it('maps a string key and its UTF-8 bytes to the same partition', () => {
    for (const key of ['user:1', 'héllo wörld', '日本語のキー', '🙂 emoji', '']) {
      expect(ring.partitionOf(key)).toBe(ring.partitionOf(utf8Encode(key)));
    }
  });

  // Pinned values: every client and node must agree forever, so a change of hash, seed or mask
  // (which would silently re-shard all stored data) has to fail here first.
  it('is pinned to xxHash32 (seed 0) of the key bytes, masked to the partition count', () => {
    const pinned = ['a', 'user:1', 'key-000042'].map((k) => ring.partitionOf(k));
    const big = Ring.create({ nodes: [{ id: 1 as NodeId }], partitions: 4096, replicationFactor: 1, vnodes: 1 });
    // xxh32("a", 0) = 0x550d7456, xxh32("", 0) = 0x02cc5d05 (reference vectors).
    expect(big.partitionOf('a')).toBe(0x550d7456 & 4095);
    expect(big.partitionOf(new Uint8Array(0))).toBe(0x02cc5d05 & 4095);
    expect(pinned[0]).toBe(0x550d7456 & 63);
    expect(pinned).toEqual(['a', 'user:1', 'key-000042'].map((k) => big.partitionOf(k) & 63));
  });

  it('spreads keys evenly: 64k keys over 64 partitions, each within 15% of the mean', () => {
    const counts = new Array<number>(64).fill(0);
    const key = new Uint8Array(16);
    const view = new DataView(key.buffer);
    for (let i = 0; i < 65536; i++) {
      view.setUint32(0, i);
      view.setUint32(12, i * 2654435761);
      counts[ring.partitionOf(key)]!++;
    }
    expect(Math.max(...counts)).toBeLessThan(1024 * 1.15);
    expect(Math.min(...counts)).toBeGreaterThan(1024 * 0.85);
  });

  it('looks up replicas and preferred leaders only for partitions that exist', () => {
    expect(ring.replicasOfKey('k')).toBe(ring.replicasOf(ring.partitionOf('k')));
    expect(() => ring.replicasOf(64)).toThrow(/partition 64 does not exist: this ring has partitions 0..63/);
    expect(() => ring.preferredLeaderOf(-1)).toThrow(RangeError);
    expect(() => ring.replicasOf(1.5)).toThrow(RangeError);
  });
});
