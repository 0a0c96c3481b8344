/**
 * The storage engines' contracts. packages/multiraft and packages/sim program against these;
 * packages/storage implements them over abstract-level (classic-level on disk, memory-level in
 * tests and in the simulator).
 *
 * storage may import only stdx, so the Raft shapes below are declared here structurally: they are
 * field-for-field the same as packages/raft's Entry, HardState, ConfState and Snapshot, so a
 * GroupLog can be handed to the Raft core as its LogStorage without conversion.
 */
import type { GroupId, NodeId } from '@ringkv/stdx';

// ---- Raft shapes (structurally identical to packages/raft/src/types.ts) -------------------

export interface LogEntry {
  readonly term: number;
  readonly index: number;
  readonly type: 'normal' | 'confChange';
  readonly data: Uint8Array;
}

export interface LogHardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

export interface LogConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly votersOutgoing: readonly NodeId[];
  readonly learnersNext: readonly NodeId[];
  readonly autoLeave: boolean;
}

export interface LogSnapshot {
  readonly metadata: { readonly index: number; readonly term: number; readonly confState: LogConfState };
  readonly data: Uint8Array;
}

// ---- Raft log engine ----------------------------------------------------------------------

/**
 * One node's Raft log store for every group it hosts. Writes for all groups in a round are staged
 * into one LogWriteBatch and made durable by ONE synced LevelDB write (group commit).
 */
export interface RaftLogEngine {
  /** The log of one group, loaded into memory on first use (created empty if new). */
  openGroup(group: GroupId): Promise<GroupLog>;
  /** Ids of every group that has a stored log. */
  listGroups(): Promise<GroupId[]>;
  newBatch(): LogWriteBatch;
  /** Writes the batch, synced unless `options.sync` is false; only after this resolves are the
   *  staged changes visible through GroupLog reads. An empty batch resolves at once without a
   *  disk write. An unsynced batch is for what may be lost on power failure without harm (a hard
   *  state whose only change is the commit index, as etcd's Ready.MustSync); the next synced
   *  write makes it durable too, since LevelDB syncs its whole write-ahead log. */
  commit(batch: LogWriteBatch, options?: LogCommitOptions): Promise<void>;
  /** Removes a group's log entirely (the node no longer hosts it). */
  dropGroup(group: GroupId): Promise<void>;
  close(): Promise<void>;
}

export interface LogCommitOptions {
  /** fsync before resolving; default true. */
  readonly sync?: boolean;
}

export interface LogWriteBatch {
  readonly isEmpty: boolean;
  /** Appends entries, truncating any stored suffix from entries[0].index on (a conflict). */
  append(log: GroupLog, entries: readonly LogEntry[]): void;
  setHardState(log: GroupLog, hardState: LogHardState): void;
  /** Installs a snapshot's metadata: the log restarts after snapshot.metadata.index. */
  applySnapshot(log: GroupLog, snapshot: LogSnapshot): void;
  /** Drops entries up to and including `index` (after the state machine holds them in a snapshot). */
  compact(log: GroupLog, index: number, snapshotMeta: LogSnapshot['metadata']): void;
}

/**
 * Synchronous reads of one group's persisted log from memory (the Raft core's LogStorage).
 * Reads never touch disk: the log since the last compaction stays in memory, bounded by the
 * store's compaction threshold.
 */
export interface GroupLog {
  readonly group: GroupId;
  initialState(): { hardState: LogHardState; confState: LogConfState };
  /** The hard state as last written (initialState's, without the allocation). */
  storedHardState(): LogHardState;
  entries(lo: number, hi: number, maxSizeBytes: number): LogEntry[];
  /** The lowest index i in [lo, last + 1] whose entries i..last hold at most `maxSizeBytes`
   *  together (logEntrySizeBytes each): last + 1 when entry `last` alone holds more. */
  firstWithin(lo: number, last: number, maxSizeBytes: number): number;
  term(index: number): number;
  firstIndex(): number;
  lastIndex(): number;
  /** The metadata of the last compaction point. `data` is empty: the store streams the partition export (KvEngine.exportPartition) alongside MsgSnap. */
  snapshot(): LogSnapshot;
  /** Bytes held in memory for this group's entries. */
  readonly sizeBytes: number;
}

// ---- KV engine ----------------------------------------------------------------------------

/** A value as users store it: a string, any JSON value, or bytes. Round-trips exactly. */
export type Value = string | Uint8Array | JsonValue;
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface KvRecord {
  readonly value: Value;
  /** Writes since creation (1 after the first put). */
  readonly version: number;
  /** Raft index of the partition that created the key. */
  readonly createRevision: number;
  /** Raft index of the partition that last changed the key. */
  readonly modRevision: number;
  /** Expiry in milliseconds since the epoch, from the log's time (not a local clock); absent = never. */
  readonly expiresAtMs?: number;
}

/** What a write needs to know of the record it replaces: a record without its value. */
export type KvRecordMeta = Omit<KvRecord, 'value'>;

export interface SessionRecord {
  /** Highest sequence number applied for this client session. */
  readonly lastSeq: number;
  /** The encoded answer to that write, returned again on a retry. */
  readonly answer: Uint8Array;
  /** Log time (ms) of the last write in this session, for deterministic expiry. */
  readonly lastSeenMs: number;
}

export interface ScanOptions {
  readonly prefix: Uint8Array;
  /** Start strictly after this key (a continuation); absent = from the first key of the prefix. */
  readonly after?: Uint8Array;
  readonly limit: number;
  /**
   * Stop after the record that brings the items' storedBytes to this many or more (so at least
   * one record when any is left): a page of large values is bounded by size, not just count.
   */
  readonly bytesMax?: number;
}

export interface ScanItem {
  readonly key: Uint8Array;
  readonly record: KvRecord;
  /** The key's bytes plus the record's encoded size: what reading it cost, for byte budgets. */
  readonly storedBytes: number;
}

/** Returned by the engine's synchronous lookups when its cache does not know the answer. */
export const NOT_CACHED: unique symbol = Symbol('NOT_CACHED');

/**
 * The data of every partition this node holds. Applying a round's committed commands for all
 * partitions, with each partition's applied index and session table, is ONE atomic write.
 */
export interface KvEngine {
  get(partition: GroupId, key: Uint8Array): Promise<KvRecord | undefined>;
  /** get() without I/O: the record (undefined if known absent) when the value cache holds the
   *  key, NOT_CACHED otherwise (then call get()). The apply path's fast path. */
  getCached(partition: GroupId, key: Uint8Array): KvRecord | undefined | typeof NOT_CACHED;
  /** The value cache's own copy of `key` when it holds the key, else undefined: something kept
   *  for long (a watch event) can share it instead of keeping one more copy or view. Never
   *  changed, like every key the cache holds; no hit or miss counted. */
  cachedKey(partition: GroupId, key: Uint8Array): Uint8Array | undefined;
  /** A record's versions and expiry, what a write needs of the key it replaces: from the value
   *  cache when it holds the key, else read from disk without decoding the value or caching it
   *  (the write that asked caches its own record). */
  getMeta(partition: GroupId, key: Uint8Array): Promise<KvRecordMeta | undefined>;
  scan(partition: GroupId, options: ScanOptions): Promise<ScanItem[]>;
  appliedIndex(partition: GroupId): Promise<number>;
  getSession(partition: GroupId, clientId: string): Promise<SessionRecord | undefined>;
  /** getSession() without I/O: the session (undefined if known absent) when the session cache
   *  holds it, NOT_CACHED otherwise (then call getSession()). */
  getSessionCached(partition: GroupId, clientId: string): SessionRecord | undefined | typeof NOT_CACHED;
  listSessions(partition: GroupId): Promise<Array<{ clientId: string; session: SessionRecord }>>;
  newApplyBatch(): KvApplyBatch;
  /** Writes the batch atomically (sync: false is allowed: the Raft log is the durable record and
   *  replays anything past the applied index). Updates the value cache on success. An engine with
   *  a write queue resolves once the batch is queued (and in the caches, where every read finds
   *  it), before LevelDB has it: a process crash loses the queue, which the Raft log replays. */
  write(batch: KvApplyBatch): Promise<void>;
  /** A consistent stream of checksummed chunks holding one partition (data, sessions, applied index). */
  exportPartition(partition: GroupId, chunkSizeBytes: number): AsyncIterable<Uint8Array>;
  /** Replaces the partition's data atomically with the chunks; verifies every checksum first. */
  importPartition(partition: GroupId, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void>;
  dropPartition(partition: GroupId): Promise<void>;
  /** Makes every write so far durable (fsync), whatever the engine's sync setting. The Store calls
   *  it before a synced log write that moves a compaction point (bootstrap, snapshot install, log
   *  compaction): the log may only forget entries the KV engine holds durably. */
  sync(): Promise<void>;
  /** Order-independent digest of a partition's content, to compare replicas. */
  digest(partition: GroupId): Promise<string>;
  /** The digest and the applied index of the state it covers, from one consistent read. */
  appliedDigest(partition: GroupId): Promise<{ appliedIndex: number; digest: string }>;
  /** Value cache and session cache counters. */
  cacheStats(): { hits: number; misses: number; sizeBytes: number; entries: number; sessionHits: number; sessionMisses: number };
  close(): Promise<void>;
}

export interface KvApplyBatch {
  readonly isEmpty: boolean;
  put(partition: GroupId, key: Uint8Array, record: KvRecord): void;
  delete(partition: GroupId, key: Uint8Array): void;
  setSession(partition: GroupId, clientId: string, session: SessionRecord): void;
  deleteSession(partition: GroupId, clientId: string): void;
  setAppliedIndex(partition: GroupId, index: number): void;
}

// ---- Limits ---------------------------------------------------------------------------------

export const KEY_SIZE_BYTES_MAX = 1024;
export const VALUE_SIZE_BYTES_MAX = 1024 * 1024;
