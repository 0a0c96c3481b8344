/**
 * What defines a ring: the membership (node ids, optional zones), the partition count, the
 * replication factor and the virtual nodes per node. A client and a node that hold equal
 * `RingConfig`s compute identical placements, so this is the value to ship between them (it is
 * plain JSON). Validation happens here, once, with errors a user can act on.
 */
import type { NodeId } from '@ringkv/stdx';
import { RingConfigError } from './errors';

export const PARTITIONS_DEFAULT = 64;
export const PARTITIONS_MAX = 4096;
export const REPLICATION_FACTOR_DEFAULT = 3;
export const REPLICATION_FACTOR_MAX = 7;
/** See README "Balance": measured best of 64..512 for keeping the busiest node near the mean. */
export const VNODES_DEFAULT = 256;
export const VNODES_MAX = 1024;
export const NODES_MAX = 1024;
export const ZONE_LENGTH_MAX = 64;
/** Bump when placement rules change: a ring built by other rules must not be mistaken for ours. */
export const RING_CONFIG_VERSION = 1;

export interface RingNode {
  readonly id: NodeId;
  /** Failure domain (rack, availability zone). Unlabelled nodes count as a zone of their own. */
  readonly zone?: string;
}

export interface RingOptions {
  readonly nodes: readonly RingNode[];
  readonly partitions?: number;
  readonly replicationFactor?: number;
  readonly vnodes?: number;
}

/** The canonical, serialisable form: defaults filled in, nodes sorted by id. */
export interface RingConfig {
  readonly version: number;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly vnodes: number;
  readonly nodes: readonly RingNode[];
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

function checkInteger(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new RingConfigError(`${what} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Validates options and returns the canonical config (independent of the order nodes were listed in). */
export function normalizeRingConfig(options: RingOptions): RingConfig {
  if (typeof options !== 'object' || options === null) throw new RingConfigError('ring options must be an object');
  const partitions = checkInteger(options.partitions ?? PARTITIONS_DEFAULT, 'partitions', 1, PARTITIONS_MAX);
  if (!isPowerOfTwo(partitions)) {
    throw new RingConfigError(`partitions must be a power of two (1, 2, 4, ... ${PARTITIONS_MAX}), got ${partitions}`);
  }
  const replicationFactor = checkInteger(options.replicationFactor ?? REPLICATION_FACTOR_DEFAULT, 'replicationFactor', 1, REPLICATION_FACTOR_MAX);
  const vnodes = checkInteger(options.vnodes ?? VNODES_DEFAULT, 'vnodes', 1, VNODES_MAX);
  if (!Array.isArray(options.nodes)) throw new RingConfigError('nodes must be an array of { id, zone? }');
  if (options.nodes.length === 0) throw new RingConfigError('a ring needs at least one node');
  if (options.nodes.length > NODES_MAX) throw new RingConfigError(`a ring holds at most ${NODES_MAX} nodes, got ${options.nodes.length}`);
  const seen = new Set<number>();
  const nodes: RingNode[] = [];
  for (const node of options.nodes as readonly unknown[]) {
    if (typeof node !== 'object' || node === null) throw new RingConfigError(`each node must be an object { id, zone? }, got ${JSON.stringify(node)}`);
    const { id, zone } = node as { id?: unknown; zone?: unknown };
    checkInteger(id, 'node id', 1, Number.MAX_SAFE_INTEGER);
    if (seen.has(id as number)) throw new RingConfigError(`node id ${String(id)} is listed twice`);
    seen.add(id as number);
    if (zone === undefined) {
      nodes.push(Object.freeze({ id: id as NodeId }));
      continue;
    }
    if (typeof zone !== 'string' || zone.length === 0 || zone.length > ZONE_LENGTH_MAX) {
      throw new RingConfigError(`zone of node ${String(id)} must be a non-empty string of at most ${ZONE_LENGTH_MAX} characters, got ${JSON.stringify(zone)}`);
    }
    nodes.push(Object.freeze({ id: id as NodeId, zone }));
  }
  nodes.sort((a, b) => a.id - b.id);
  return Object.freeze({ version: RING_CONFIG_VERSION, partitions, replicationFactor, vnodes, nodes: Object.freeze(nodes) });
}

/** Reads a config that came over the wire or from disk (e.g. the output of JSON.parse). */
export function parseRingConfig(value: unknown): RingConfig {
  if (typeof value !== 'object' || value === null) throw new RingConfigError('a ring config must be a JSON object');
  const v = value as Record<string, unknown>;
  if (v.version !== RING_CONFIG_VERSION) {
    throw new RingConfigError(`ring config version ${JSON.stringify(v.version)} is not supported (this build reads version ${RING_CONFIG_VERSION})`);
  }
  for (const field of ['partitions', 'replicationFactor', 'vnodes'] as const) {
    if (v[field] === undefined) throw new RingConfigError(`ring config lacks "${field}"`);
  }
  return normalizeRingConfig(v as unknown as RingOptions);
}
