export { Ring } from './ring';
export type { RingConfig, RingNode, RingOptions } from './ring-config';
export {
  normalizeRingConfig,
  parseRingConfig,
  NODES_MAX,
  PARTITIONS_DEFAULT,
  PARTITIONS_MAX,
  REPLICATION_FACTOR_DEFAULT,
  REPLICATION_FACTOR_MAX,
  RING_CONFIG_VERSION,
  VNODES_DEFAULT,
  VNODES_MAX,
  ZONE_LENGTH_MAX,
} from './ring-config';
export type { Placement, PlacementLoad } from './placement';
export { placementLoad } from './placement';
export type { ReplicaMove } from './placement-diff';
export { diffPlacements } from './placement-diff';
export { PlacementMismatchError, RingConfigError } from './errors';
