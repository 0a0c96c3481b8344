/**
 * What the api layer (packages/api) sees of a Store. The router calls only this interface, so the
 * api can be tested against any implementation and the Store's internals stay private.
 *
 * Keys are bytes here (a string key is its UTF-8 bytes); values are what the KV engine stores:
 * a string, bytes, or any JSON value. Every failure is a StoreError (./errors).
 */
import type { NodeId } from '@ringkv/stdx';
import type { KvRecord, Value } from '@ringkv/storage';
import type { StoreError } from './errors';

export type { KvRecord, Value };

/**
 * linearizable: ReadIndex on the leader. lease: the leader's local state while its lease holds.
 * stale: any replica's applied state (no leader needed), optionally bounded by maxStalenessMs.
 */
export type Consistency = 'linearizable' | 'lease' | 'stale';

/** Exactly-once tag of a write. A session has at most one write in flight (the SDK's pool). */
export interface SessionTag {
  readonly clientId: string;
  readonly seq: number;
}

export interface ReadOptions {
  readonly consistency: Consistency;
  /**
   * Only with 'stale': serve only if this replica can prove its applied state holds every write
   * committed more than this long ago (replica-freshness.ts defines it). Otherwise NOT_LEADER
   * naming the leader (read there), or UNAVAILABLE when no replica here can prove it. Absent:
   * unbounded.
   */
  readonly maxStalenessMs?: number;
}

export interface GetResult {
  readonly partition: number;
  /** Absent key (or expired by the log's time) is null. */
  readonly record: KvRecord | null;
  /** The partition's applied revision the read was served at. */
  readonly revision: number;
}

export interface PutRequest {
  readonly key: Uint8Array;
  readonly value: Value;
  /** Write only if the key's version is this (0: only if absent). */
  readonly ifVersion?: number;
  readonly ttlMs?: number;
  readonly session: SessionTag;
}

export interface PutResult {
  readonly version: number;
  readonly createRevision: number;
  readonly modRevision: number;
}

export interface DeleteRequest {
  readonly key: Uint8Array;
  readonly ifVersion?: number;
  readonly session: SessionTag;
}

export interface DeleteResult {
  /** False when the key did not exist. */
  readonly deleted: boolean;
  readonly revision: number;
}

export type BatchOp =
  | { readonly op: 'put'; readonly key: Uint8Array; readonly value: Value; readonly ifVersion?: number; readonly ttlMs?: number }
  | { readonly op: 'delete'; readonly key: Uint8Array; readonly ifVersion?: number };

/** The outcome of one partition's part of a batch, applied atomically (all or nothing). */
export interface BatchResult {
  readonly revision: number;
}

/**
 * About how many bytes of keys and values (as stored) one read answer carries: a getMany past it
 * is refused with TOO_LARGE, a scan page stops at it. Values are up to 1 MiB, so without it one
 * getMany or scan page of a thousand keys could be a gigabyte, more than a client accepts.
 */
export const ANSWER_BYTES_MAX = 16 * 1024 * 1024;

export interface GetManyResult {
  readonly partition: number;
  /** One per key asked, in order: null for an absent (or expired) key. */
  readonly records: ReadonlyArray<KvRecord | null>;
}

export interface ScanPartitionRequest {
  readonly partition: number;
  readonly prefix: Uint8Array;
  /** Start strictly after this key (a continuation). */
  readonly after?: Uint8Array;
  readonly limit: number;
  /** The page stops after the record that brings it to this many bytes (default ANSWER_BYTES_MAX). */
  readonly bytesMax?: number;
  readonly consistency: Consistency;
  /** As in ReadOptions. */
  readonly maxStalenessMs?: number;
}

export interface ScanPartitionItem {
  readonly key: Uint8Array;
  readonly record: KvRecord;
}

export interface ScanPartitionResult {
  readonly partition: number;
  /** In key order (bytewise), expired keys left out. */
  readonly items: readonly ScanPartitionItem[];
  /**
   * Where the page stopped, when it stopped at its limit or its bytes: more keys may follow this
   * one (the last key read, which may be an expired one left out of items). Absent when the
   * partition has no more keys under the prefix.
   */
  readonly resumeAfter?: Uint8Array;
  readonly revision: number;
}

export interface WatchRequest {
  /** Exactly one of key and prefix. */
  readonly key?: Uint8Array;
  readonly prefix?: Uint8Array;
  /**
   * With a prefix: watch only this partition (the node must host a replica of it, else NOT_LEADER
   * naming one that does). Clients fan a prefix watch out this way over partitions no node holds
   * all of. Absent: every partition, which needs a node that hosts them all.
   */
  readonly partition?: number;
  /** Deliver changes from this revision on (inclusive) in every watched partition; absent: from now. */
  readonly fromRevision?: number;
}

export interface WatchEvent {
  readonly type: 'put' | 'delete';
  readonly partition: number;
  readonly key: Uint8Array;
  /** Absent for deletes. */
  readonly value?: Value;
  readonly version: number;
  readonly modRevision: number;
}

export interface WatchSink {
  onEvent(event: WatchEvent): void;
  /** The watch ended (COMPACTED, the node stopped, the sink fell too far behind); no more events. */
  onError(error: StoreError): void;
}

export interface WatchHandle {
  cancel(): void;
}

export interface NodeInfo {
  readonly id: NodeId;
  readonly apiAddress: string;
  readonly peerAddress: string;
  readonly zone?: string;
}

/** For smart clients: where each partition lives and who leads it, as this node knows. */
export interface Placement {
  readonly partitions: number;
  readonly replicationFactor: number;
  /** `address` is the node's api address (HTTP/WebSocket). */
  readonly nodes: ReadonlyArray<{ readonly id: number; readonly address: string; readonly zone?: string }>;
  /** One per partition: its replicas (preferred leader first) and the leader this node knows of. */
  readonly groups: ReadonlyArray<{ readonly partition: number; readonly replicas: readonly number[]; readonly leader: number | null }>;
}

export interface PartitionStatus {
  readonly partition: number;
  readonly replicas: readonly number[];
  readonly leader: number | null;
  readonly role: 'follower' | 'preCandidate' | 'candidate' | 'leader';
  readonly term: number;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  /** Set when this node's replica found corrupt data (a checksum, an undecodable command) and stopped taking part (quarantine.ts). */
  readonly quarantined?: boolean;
}

export interface ClusterStatus {
  readonly clusterId: string;
  readonly nodeId: number;
  readonly nodes: ReadonlyArray<NodeInfo & { readonly reachable: boolean }>;
  /** Only the partitions this node hosts. */
  readonly partitions: readonly PartitionStatus[];
}

export interface Health {
  /** True when every partition this node hosts knows a leader. */
  readonly ok: boolean;
  readonly nodeId: number;
  readonly partitionsHosted: number;
  readonly partitionsWithLeader: number;
  readonly partitionsLed: number;
  /** Partitions whose replica here is quarantined for corrupt data (then ok is false). */
  readonly partitionsQuarantined?: number;
}

export interface KvService {
  readonly nodeId: NodeId;
  readonly partitionCount: number;
  partitionOf(key: Uint8Array): number;
  /** The api address of a node, for NOT_LEADER answers and forwarding. */
  apiAddressOf(node: number): string | undefined;
  get(key: Uint8Array, options: ReadOptions): Promise<GetResult>;
  /**
   * Keys of one partition (BAD_REQUEST otherwise), read after one confirmation of leadership;
   * each key as get() reads it (not a snapshot across keys). TOO_LARGE when the live values and
   * their keys pass ANSWER_BYTES_MAX.
   */
  getMany(keys: readonly Uint8Array[], options: ReadOptions): Promise<GetManyResult>;
  put(request: PutRequest): Promise<PutResult>;
  delete(request: DeleteRequest): Promise<DeleteResult>;
  /** Every op must hash to `partition`; applied atomically. */
  writeBatch(partition: number, ops: readonly BatchOp[], session: SessionTag): Promise<BatchResult>;
  scanPartition(request: ScanPartitionRequest): Promise<ScanPartitionResult>;
  /** A key watch covers its partition; a prefix watch one given partition, or all (if this node hosts all). */
  watch(request: WatchRequest, sink: WatchSink): WatchHandle;
  status(): ClusterStatus;
  placement(): Placement;
  health(): Health;
}
