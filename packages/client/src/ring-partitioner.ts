/**
 * Key → partition in the Node entry, with the same ring the nodes use (@ringkv/ring, whose hash
 * is a native addon: hence not in the browser entry). Built from the placement a node sent, so the
 * client and the cluster agree on the partition count and membership.
 */
import { Ring } from '@ringkv/ring';
import { nodeId } from '@ringkv/stdx';
import type { PartitionerFactory } from './router';

export const ringPartitioner: PartitionerFactory = (placement) => {
  const ring = Ring.create({
    nodes: placement.nodes.map((n) => ({ id: nodeId(n.id), ...(n.zone === undefined ? {} : { zone: n.zone }) })),
    partitions: placement.partitions,
    replicationFactor: placement.replicationFactor,
  });
  return (keyBytes) => ring.partitionOf(keyBytes);
};
