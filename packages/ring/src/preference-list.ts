/**
 * Dynamo's preference list: walking clockwise from a partition's position, the first
 * `replicationFactor` distinct nodes, taking at most one node per zone while unused zones remain.
 * When there are at least RF zones the replicas therefore sit in RF distinct zones; with fewer
 * zones, each zone gets one replica first and the rest go to the next distinct nodes clockwise.
 * An unlabelled node is a zone of its own, so without zones this is the plain preference list.
 */
import type { NodeId } from '@ringkv/stdx';
import { assert } from '@ringkv/stdx';
import type { RingNode } from './ring-config';
import type { TokenRing } from './token-ring';
import { firstTokenAtOrAfter } from './token-ring';

/** Zone index per node (id-sorted order) and the number of distinct zones. */
export function zoneIndexes(nodes: readonly RingNode[]): { zoneOf: Int32Array; zoneCount: number } {
  const zoneOf = new Int32Array(nodes.length);
  const named = new Map<string, number>();
  let zoneCount = 0;
  for (let n = 0; n < nodes.length; n++) {
    const zone = nodes[n]!.zone;
    if (zone === undefined) {
      zoneOf[n] = zoneCount++;
      continue;
    }
    let z = named.get(zone);
    if (z === undefined) {
      z = zoneCount++;
      named.set(zone, z);
    }
    zoneOf[n] = z;
  }
  return { zoneOf, zoneCount };
}

export function preferenceList(
  ring: TokenRing,
  nodes: readonly RingNode[],
  zones: { zoneOf: Int32Array; zoneCount: number },
  position: number,
  replicationFactor: number,
): NodeId[] {
  const wanted = Math.min(replicationFactor, nodes.length);
  const firstPass = Math.min(wanted, zones.zoneCount);
  const picked: number[] = [];
  const zoneUsed = new Uint8Array(zones.zoneCount);
  const tokens = ring.positions.length;
  const start = firstTokenAtOrAfter(ring, position);
  for (let step = 0; step < tokens && picked.length < firstPass; step++) {
    const owner = ring.owners[(start + step) % tokens]!;
    const zone = zones.zoneOf[owner]!;
    if (zoneUsed[zone] === 1) continue;
    zoneUsed[zone] = 1;
    picked.push(owner);
  }
  for (let step = 0; step < tokens && picked.length < wanted; step++) {
    const owner = ring.owners[(start + step) % tokens]!;
    if (!picked.includes(owner)) picked.push(owner);
  }
  assert(picked.length === wanted, () => `preference list found ${picked.length} of ${wanted} replicas`);
  return picked.map((n) => nodes[n]!.id);
}
