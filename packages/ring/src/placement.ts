/** Where every partition lives: its replicas (preference-list order) and its preferred leader. */
import type { NodeId } from '@ringkv/stdx';

export interface Placement {
  readonly partitions: number;
  readonly replicas: readonly (readonly NodeId[])[];
  readonly preferredLeaders: readonly NodeId[];
}

export interface PlacementLoad {
  /** Replicas held per node (every ring member is listed, 0 if it holds none). */
  readonly replicas: ReadonlyMap<NodeId, number>;
  /** Partitions each node is the preferred leader of (every ring member is listed). */
  readonly leaders: ReadonlyMap<NodeId, number>;
}

/** Counts per node, for balance reports, metrics and tests. */
export function placementLoad(placement: Placement, members: readonly NodeId[]): PlacementLoad {
  const replicas = new Map<NodeId, number>();
  const leaders = new Map<NodeId, number>();
  for (const id of members) {
    replicas.set(id, 0);
    leaders.set(id, 0);
  }
  for (const list of placement.replicas) for (const id of list) replicas.set(id, (replicas.get(id) ?? 0) + 1);
  for (const id of placement.preferredLeaders) leaders.set(id, (leaders.get(id) ?? 0) + 1);
  return { replicas, leaders };
}
