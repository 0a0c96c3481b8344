/**
 * Key → partition in the Node entry, with the same ring the nodes use (@ringkv/ring, whose hash
 * is a native addon: hence not in the browser entry). Built from the placement a node sent, so the
 * client and the cluster agree on the partition count and membership.
 */
import { Ring } from '@ringkv/ring';
import { nodeId } from '@ringkv/stdx';
import type { PartitionerFactory } from './router';

/** The last ring built, by its configuration: a placement reload (after every leader change) reuses it. */
let last: { readonly config: string; readonly partitionOf: (keyBytes: Uint8Array) => number } | undefined;

export const ringPartitioner: PartitionerFactory = (placement) => {
  const config = JSON.stringify([placement.partitions, placement.replicationFactor, placement.nodes.map((n) => [n.id, n.zone ?? null])]);
  if (last?.config !== config) {
    // Building the token ring costs ~1 ms (256 tokens per node); the simulator's clients spent
    // 4-6 % of a run's CPU rebuilding it on every placement load.
    const ring = Ring.create({
      nodes: placement.nodes.map((n) => ({ id: nodeId(n.id), ...(n.zone === undefined ? {} : { zone: n.zone }) })),
      partitions: placement.partitions,
      replicationFactor: placement.replicationFactor,
    });
    last = { config, partitionOf: (keyBytes) => ring.partitionOf(keyBytes) };
  }
  return last.partitionOf;
};
