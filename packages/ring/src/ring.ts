/**
 * The ring: key → partition by hash, partition → replicas by consistent hashing with virtual
 * nodes, and a preferred leader per partition. Everything but the key hash is computed once when
 * the ring is built, so a lookup is one hash, one mask and one array read, with no allocation.
 */
import type { NodeId } from '@ringkv/stdx';
import { hashKey } from './hash';
import type { Placement } from './placement';
import { preferenceList, zoneIndexes } from './preference-list';
import { preferredLeaders } from './preferred-leaders';
import type { RingConfig, RingNode, RingOptions } from './ring-config';
import { normalizeRingConfig, parseRingConfig } from './ring-config';
import { buildTokenRing, partitionPosition } from './token-ring';

export class Ring {
  private readonly mask: number;

  private constructor(
    private readonly definition: RingConfig,
    private readonly replicaLists: readonly (readonly NodeId[])[],
    private readonly leaders: readonly NodeId[],
  ) {
    this.mask = definition.partitions - 1;
  }

  /** Builds a ring from options (defaults: 64 partitions, RF 3, 256 vnodes). Throws RingConfigError. */
  static create(options: RingOptions): Ring {
    const config = normalizeRingConfig(options);
    const tokens = buildTokenRing(config.nodes, config.vnodes);
    const zones = zoneIndexes(config.nodes);
    const replicas: (readonly NodeId[])[] = [];
    for (let p = 0; p < config.partitions; p++) {
      const list = preferenceList(tokens, config.nodes, zones, partitionPosition(p, config.partitions), config.replicationFactor);
      replicas.push(Object.freeze(list));
    }
    const leaders = preferredLeaders(replicas, config.nodes.length);
    return new Ring(config, Object.freeze(replicas), Object.freeze(leaders));
  }

  /** Builds a ring from a serialised `RingConfig` (e.g. `JSON.parse` of what `config()` gave). */
  static fromConfig(value: unknown): Ring {
    return Ring.create(parseRingConfig(value));
  }

  get partitions(): number {
    return this.definition.partitions;
  }

  /** The configured replication factor; a partition has fewer replicas only when there are fewer nodes. */
  get replicationFactor(): number {
    return this.definition.replicationFactor;
  }

  get nodes(): readonly RingNode[] {
    return this.definition.nodes;
  }

  /** The partition a key belongs to. A string key is hashed as its UTF-8 bytes. */
  partitionOf(key: Uint8Array | string): number {
    return hashKey(key) & this.mask;
  }

  /** The partition's replicas in preference-list order (frozen; do not copy in hot paths). */
  replicasOf(partition: number): readonly NodeId[] {
    const replicas = this.replicaLists[partition];
    if (replicas === undefined) throw new RangeError(this.badPartition(partition));
    return replicas;
  }

  /** Replicas of the key's partition: the whole lookup in one call. */
  replicasOfKey(key: Uint8Array | string): readonly NodeId[] {
    return this.replicaLists[hashKey(key) & this.mask]!;
  }

  preferredLeaderOf(partition: number): NodeId {
    const leader = this.leaders[partition];
    if (leader === undefined) throw new RangeError(this.badPartition(partition));
    return leader;
  }

  placement(): Placement {
    return { partitions: this.definition.partitions, replicas: this.replicaLists, preferredLeaders: this.leaders };
  }

  /** The canonical serialisable definition: equal configs give identical rings. */
  config(): RingConfig {
    return this.definition;
  }

  toJSON(): RingConfig {
    return this.definition;
  }

  private badPartition(partition: number): string {
    return `partition ${partition} does not exist: this ring has partitions 0..${this.definition.partitions - 1}`;
  }
}
