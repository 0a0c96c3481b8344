/**
 * The requests and answers as they travel between the SDK and a node's tRPC api. The SDK may only
 * `import type` from @ringkv/api; these are the shapes it sends and reads.
 */
import type { WireKey, WireValue } from './values';
import type { SessionTag } from './sessions';

export type QueryPath = 'kv.get' | 'kv.getMany' | 'kv.scan' | 'cluster.status' | 'cluster.placement' | 'cluster.health';
export type MutationPath = 'kv.put' | 'kv.delete' | 'kv.writeBatch';
export type ProcedurePath = QueryPath | MutationPath;

const MUTATIONS: ReadonlySet<string> = new Set<MutationPath>(['kv.put', 'kv.delete', 'kv.writeBatch']);

export function isMutation(path: ProcedurePath): path is MutationPath {
  return MUTATIONS.has(path);
}

export type Consistency = 'linearizable' | 'lease' | 'stale';

export interface WirePlacement {
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly nodes: ReadonlyArray<{ readonly id: number; readonly address: string; readonly zone?: string }>;
  /** One per partition: its replicas (preferred leader first) and the leader the node knows of. */
  readonly groups: ReadonlyArray<{ readonly partition: number; readonly replicas: readonly number[]; readonly leader?: number | null }>;
}

export interface WireEntry {
  readonly key: WireKey;
  readonly value: WireValue;
  readonly version: number;
  readonly createRevision: number;
  readonly modRevision: number;
}

export interface WireGetInput {
  readonly key: WireKey;
  readonly consistency: Consistency;
}
export interface WireGetOutput {
  readonly entry: WireEntry | null;
  /** The partition's applied revision the read was served at. */
  readonly revision: number;
}

export interface WireGetManyInput {
  readonly keys: readonly WireKey[];
  readonly consistency: Consistency;
}
export interface WireGetManyOutput {
  readonly entries: ReadonlyArray<WireEntry | null>;
}

export interface WirePutInput {
  readonly key: WireKey;
  readonly value: WireValue;
  readonly ifVersion?: number;
  readonly ttlMs?: number;
  readonly session: SessionTag;
}
export interface WirePutOutput {
  readonly version: number;
  readonly createRevision: number;
  readonly modRevision: number;
}

export interface WireDeleteInput {
  readonly key: WireKey;
  readonly ifVersion?: number;
  readonly session: SessionTag;
}
export interface WireDeleteOutput {
  readonly deleted: boolean;
  readonly revision: number;
}

export type WireBatchOp =
  | { readonly op: 'put'; readonly key: WireKey; readonly value: WireValue; readonly ifVersion?: number; readonly ttlMs?: number }
  | { readonly op: 'delete'; readonly key: WireKey; readonly ifVersion?: number };

export interface WireWriteBatchInput {
  readonly ops: readonly WireBatchOp[];
  readonly session: SessionTag;
}
export interface WireWriteBatchOutput {
  /** One outcome per partition the batch touched; ops are listed by their index in the input. */
  readonly partitions: ReadonlyArray<
    | { readonly partition: number; readonly ok: true; readonly revision: number; readonly ops: readonly number[] }
    | {
        readonly partition: number;
        readonly ok: false;
        readonly ops: readonly number[];
        readonly error: { readonly code: string; readonly message: string; readonly data?: Record<string, unknown> };
      }
  >;
}

export interface WireScanInput {
  readonly prefix: WireKey;
  readonly limit: number;
  readonly cursor?: string;
}
export interface WireScanOutput {
  readonly entries: readonly WireEntry[];
  readonly cursor: string | null;
}

export interface WireWatchInput {
  readonly key?: WireKey;
  readonly prefix?: WireKey;
  readonly fromRevision?: number;
}
export interface WireWatchEvent {
  readonly type: 'put' | 'delete';
  readonly partition: number;
  readonly key: WireKey;
  readonly value?: WireValue;
  readonly version: number;
  readonly modRevision: number;
}
