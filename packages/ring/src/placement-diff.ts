/**
 * Replica moves between two placements, for the rebalancer: `{ partition, from, to }` replaces a
 * replica, a move with only `to` adds one and with only `from` drops one (when the replication
 * factor or the node count changes). Moves come sorted by partition, then by node id, so two
 * callers diffing the same placements get the same list.
 */
import type { NodeId } from '@ringkv/stdx';
import { PlacementMismatchError } from './errors';
import type { Placement } from './placement';

export interface ReplicaMove {
  readonly partition: number;
  readonly from?: NodeId;
  readonly to?: NodeId;
}

export function diffPlacements(before: Placement, after: Placement): ReplicaMove[] {
  if (before.partitions !== after.partitions) {
    throw new PlacementMismatchError(
      `cannot diff placements with ${before.partitions} and ${after.partitions} partitions: changing the partition count re-shards every key, it is not a set of replica moves`,
    );
  }
  const moves: ReplicaMove[] = [];
  for (let p = 0; p < before.partitions; p++) {
    const was = before.replicas[p]!;
    const is = after.replicas[p]!;
    const removed = was.filter((n) => !is.includes(n)).sort((a, b) => a - b);
    const added = is.filter((n) => !was.includes(n)).sort((a, b) => a - b);
    const paired = Math.max(removed.length, added.length);
    for (let i = 0; i < paired; i++) {
      const from = removed[i];
      const to = added[i];
      moves.push({ partition: p, ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) });
    }
  }
  return moves;
}
