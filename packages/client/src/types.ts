/** The SDK's public request options and result types. */
import type { RingKVError } from './errors';
import type { Key, Value } from './values';
import type { Consistency } from './wire';

export type { Consistency };

export interface RequestOptions {
  /** Cancels the operation; it rejects with code ABORTED. */
  readonly signal?: AbortSignal;
  /** Overrides the client's deadlineMs for this call: retries stop when it passes. */
  readonly deadlineMs?: number;
}

export interface GetOptions extends RequestOptions {
  /** Default 'linearizable'. 'stale' may be served by any replica, as of its applied revision. */
  readonly consistency?: Consistency;
  /**
   * Only with 'stale': the answer holds every write committed more than this long ago (ms, up to
   * a day). A replica that cannot prove it hands the read to the partition's leader. Absent: a
   * stale read is unbounded (a replica cut off from its leader answers with what it has).
   */
  readonly maxStalenessMs?: number;
}

export interface KvEntry<V extends Value = Value> {
  readonly key: Key;
  readonly value: V;
  /** Writes to this key since it was created (1 after the first put). */
  readonly version: number;
  /** The partition revision (Raft index) that created the key. */
  readonly createRevision: number;
  /** The partition revision of the last write to the key. */
  readonly modRevision: number;
}

export interface PutOptions extends RequestOptions {
  /** Write only if the key's version is this (0: only if the key does not exist). */
  readonly ifVersion?: number;
  /** The key disappears this long after the write. */
  readonly ttlMs?: number;
}

export interface PutResult {
  readonly version: number;
  readonly createRevision: number;
  readonly modRevision: number;
}

export interface DeleteOptions extends RequestOptions {
  readonly ifVersion?: number;
}

export interface DeleteResult {
  /** False when the key did not exist. */
  readonly deleted: boolean;
  readonly revision: number;
}

export type BatchOp =
  | { readonly op: 'put'; readonly key: Key; readonly value: Value; readonly ifVersion?: number; readonly ttlMs?: number }
  | { readonly op: 'delete'; readonly key: Key; readonly ifVersion?: number };

/** A batch is atomic within a partition; across partitions each partition reports on its own. */
export type BatchPartitionOutcome =
  | { readonly partition: number | undefined; readonly ops: readonly number[]; readonly ok: true; readonly revision: number }
  | { readonly partition: number | undefined; readonly ops: readonly number[]; readonly ok: false; readonly error: RingKVError };

export interface BatchResult {
  /** True when every partition applied its part. */
  readonly ok: boolean;
  readonly partitions: readonly BatchPartitionOutcome[];
}

export interface ScanOptions extends RequestOptions {
  readonly prefix: Key;
  /** As for get: default 'linearizable'; 'stale' (optionally bounded) lets replicas answer their partitions. */
  readonly consistency?: Consistency;
  readonly maxStalenessMs?: number;
  /** Entries per page; default 100, at most 1000. */
  readonly limit?: number;
  /** From a previous page's `cursor`. */
  readonly cursor?: string;
}

export interface ScanPage {
  readonly entries: readonly KvEntry[];
  /** Pass to the next scan() for the next page; null when the scan is complete. */
  readonly cursor: string | null;
}

/**
 * Where a watch stands in one partition. Revisions are per partition (each partition is its own
 * Raft log), so a watch over several partitions has one of these per partition: resume from
 * `fromRevision` (inclusive), skipping the first `skip` events of that revision, which were
 * delivered already (a batch changes several keys at one revision).
 */
export interface WatchPosition {
  readonly fromRevision: number;
  readonly skip: number;
}

/** A watch's resume point: partition → position. Pass it as `cursor` to watch again from there. */
export type WatchCursor = Readonly<Record<number, WatchPosition>>;

export type WatchOptions = ({ readonly key: Key; readonly prefix?: undefined } | { readonly prefix: Key; readonly key?: undefined }) & {
  /** Deliver changes from this revision on (inclusive), in every watched partition; default: from now. */
  readonly fromRevision?: number;
  /**
   * Prefix watches: resume where a previous watch's cursor() stood. Partitions it does not name
   * start from `fromRevision` (or from now).
   */
  readonly cursor?: WatchCursor;
  readonly signal?: AbortSignal;
};

/** A watch: an async iterator of events, and where it stands (to resume after a restart). */
export interface WatchIterator extends AsyncIterableIterator<WatchEvent> {
  /**
   * Per partition, the position after the last event handed out. Undefined until the watch has
   * fixed its starting point in every partition (shortly after it starts: a watch "from now"
   * first reads each partition's revision), so a cursor never silently means "from now".
   */
  cursor(): WatchCursor | undefined;
}

export interface WatchEvent {
  readonly type: 'put' | 'delete';
  readonly partition: number;
  readonly key: Key;
  /** Absent for deletes. */
  readonly value?: Value;
  readonly version: number;
  readonly modRevision: number;
}
