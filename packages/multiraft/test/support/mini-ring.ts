/**
 * Stand-in for @ringkv/ring while it has not landed (vitest.config.ts aliases it only then):
 * FNV-1a of the key bytes modulo the partition count; replicas rotate over the sorted node ids.
 */
import type { NodeId } from '@ringkv/stdx';

export class Ring {
  private constructor(
    private readonly nodes: NodeId[],
    readonly partitions: number,
    readonly replicationFactor: number,
  ) {}

  static create(options: { nodes: ReadonlyArray<{ id: NodeId }>; partitions: number; replicationFactor: number }): Ring {
    return new Ring(options.nodes.map((n) => n.id).sort((a, b) => a - b), options.partitions, Math.min(options.replicationFactor, options.nodes.length));
  }

  partitionOf(key: Uint8Array): number {
    let h = 0x811c9dc5;
    for (const b of key) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    return h % this.partitions;
  }

  replicasOf(partition: number): NodeId[] {
    return Array.from({ length: this.replicationFactor }, (_, i) => this.nodes[(partition + i) % this.nodes.length]!);
  }

  preferredLeaderOf(partition: number): NodeId {
    return this.replicasOf(partition)[0]!;
  }
}
