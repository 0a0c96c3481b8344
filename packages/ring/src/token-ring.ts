/**
 * The ring of virtual-node tokens. Each node owns `vnodes` tokens at hash(`${id}#${i}`), so a
 * node's tokens depend on its id alone: adding or removing a node leaves every other token where
 * it was, which is what bounds movement. Ties between equal token positions break on node id, so
 * the order is a function of the membership and never of the order nodes were listed in.
 */
import { hashLabel } from './hash';
import type { RingNode } from './ring-config';

export interface TokenRing {
  /** Token positions on [0, 2^32), ascending. */
  readonly positions: Float64Array;
  /** For each token, the index (into the id-sorted node list) of the node owning it. */
  readonly owners: Int32Array;
}

export function buildTokenRing(nodes: readonly RingNode[], vnodes: number): TokenRing {
  const count = nodes.length * vnodes;
  const positions = new Float64Array(count);
  const ownerIds = new Float64Array(count);
  const owners = new Int32Array(count);
  let t = 0;
  for (let n = 0; n < nodes.length; n++) {
    const id = nodes[n]!.id;
    for (let i = 0; i < vnodes; i++) {
      positions[t] = hashLabel(`${id}#${i}`);
      ownerIds[t] = id;
      owners[t] = n;
      t++;
    }
  }
  const order = Array.from({ length: count }, (_, i) => i);
  order.sort((a, b) => positions[a]! - positions[b]! || ownerIds[a]! - ownerIds[b]!);
  const sortedPositions = new Float64Array(count);
  const sortedOwners = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    sortedPositions[i] = positions[order[i]!]!;
    sortedOwners[i] = owners[order[i]!]!;
  }
  return { positions: sortedPositions, owners: sortedOwners };
}

/** Index of the first token at or after `position`, wrapping to 0 past the last token. */
export function firstTokenAtOrAfter(ring: TokenRing, position: number): number {
  let lo = 0;
  let hi = ring.positions.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ring.positions[mid]! < position) lo = mid + 1;
    else hi = mid;
  }
  return lo === ring.positions.length ? 0 : lo;
}

/**
 * A partition's fixed place on the ring: partitions are evenly spaced (at the middle of equal
 * slices) rather than hashed, so every node's share of partitions follows its share of the ring
 * without the extra clumping random partition positions would add.
 */
export function partitionPosition(partition: number, partitions: number): number {
  return Math.floor(((partition + 0.5) * 2 ** 32) / partitions);
}
