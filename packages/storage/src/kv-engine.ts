/**
 * The KV engine: every partition's data, session table and applied index in one LevelDB
 * database, changed by one atomic batch per round, with a byte-bounded value cache in front.
 *
 * With `queueWrites`, rounds' batches reach LevelDB together: write() updates the caches and
 * queues the batch's operations, and the queue goes to LevelDB in ONE write once it holds
 * `queueOpsMax` operations or PENDING_BYTES_MAX bytes (its writer waits only while a queue handed
 * to LevelDB before it has not landed), or before anything reads LevelDB
 * or changes it otherwise (a read, a scan, an export, an import, a drop, a sync, close). Each
 * LevelDB write costs a hop to libuv's thread pool and back and LevelDB's own work per write;
 * one per round was ~6 % of the cluster's CPU per put (tools/bench/README.md). A process that
 * dies loses the queue: what the Store queues is durable through the Raft log, which replays
 * past the applied index LevelDB holds (and forgets entries only after a sync, which writes the
 * queue first). Without `queueWrites` every write() reaches LevelDB before it resolves.
 */
import { createHash } from 'node:crypto';
import type { GroupId } from '@ringkv/stdx';
import { assert, utf8Decode } from '@ringkv/stdx';
import type { StorageDb } from './db';
import { openDiskDb, openMemoryDb, readyDb, writeBatch } from './db';
import { CorruptionError, LimitError } from './errors';
import type { KvApplyBatch, KvEngine, KvRecord, KvRecordMeta, ScanItem, ScanOptions, SessionRecord } from './interfaces';
import { NOT_CACHED } from './interfaces';
import { StagedKvBatch } from './kv-batch';
import { KvWriteQueue } from './kv-queue';
import { ChunkWriter, parseChunk } from './kv-chunks';
import { decodeApplied, decodeRecord, decodeRecordMeta, decodeSession } from './kv-codec';
import { APPLIED_TAG, DATA_TAG, PARTITION_PREFIX_SIZE_BYTES, SESSION_TAG, appliedKey, dataKey, partitionRange, prefixedKey, sessionKey, SYNC_MARKER_KEY } from './kv-keys';
import { prefixUpperBound } from './key-bytes';
import {
  EXPORT_CHUNK_SIZE_BYTES_MAX,
  EXPORT_CHUNK_SIZE_BYTES_MIN,
  IMPORT_SIZE_BYTES_MAX,
  SCAN_LIMIT_MAX,
  checkClientId,
  checkKeySize,
} from './limits';
import type { DbOp } from './db';
import { SessionCache } from './session-cache';
import { ABSENT, ValueCache } from './value-cache';
import type { CachedValue } from './value-cache';

const BYTES = { keyEncoding: 'view', valueEncoding: 'view' } as const;


export interface KvEngineOptions {
  /** Bytes the value cache may hold; 0 disables it. */
  readonly cacheSizeBytes: number;
  /** Write apply batches with fsync. Off by default: the Raft log is the durable record and
   *  replays anything past the applied index; LevelDB still writes the batch to its log file
   *  before write() resolves, so a process crash loses nothing. */
  readonly sync?: boolean;
  /** Sessions cached per partition (LRU); 0 disables the session cache. */
  readonly sessionCacheEntriesMax?: number;
  /** Queue written batches and hand them to LevelDB together (see the file's comment): write()
   *  then resolves before LevelDB has the batch, and a process that dies loses what is queued.
   *  For a caller that can replay what it wrote (the Store, from its Raft log). Not with `sync`. */
  readonly queueWrites?: boolean;
  /** Queued operations that make the engine write the queue at once (default PENDING_OPS_MAX;
   *  the simulator sets few, so its runs write queues often). */
  readonly queueOpsMax?: number;
}

export const DEFAULT_CACHE_SIZE_BYTES = 64 * 1024 * 1024;

/** Queued operations that make the engine write them to LevelDB at once (see the file's comment). */
export const PENDING_OPS_MAX = 2048;
/** Queued bytes (keys and values) that make the engine write them to LevelDB at once. */
export const PENDING_BYTES_MAX = 1024 * 1024;
export const DEFAULT_SESSION_CACHE_ENTRIES = 10_000;

export class LevelKvEngine implements KvEngine {
  private readonly cache: ValueCache;
  private readonly sessions: SessionCache;
  private readonly syncWrites: boolean;
  private readonly queueWrites: boolean;
  private readonly queueOpsMax: number;
  /** Bumped on every change to a partition; a cache fill from a read that raced a change is skipped. */
  private readonly generations = new Map<GroupId, number>();
  /** Writes, imports and drops run one at a time, in call order. */
  private mutations: Promise<unknown> = Promise.resolve();
  /** Written batches not yet handed to LevelDB (the caches already hold them). */
  private readonly pending = new KvWriteQueue();
  /** Queue writes handed to LevelDB (guardedWrite) that have not landed yet. */
  private queueWritesInFlight = 0;
  /** LevelDB writes that carried queued operations (a sync's included), for stats. */
  private queueFlushes = 0;
  /** A queued write LevelDB refused: what it holds is unknown, so every later call fails. */
  private failure: Error | undefined;
  private closed = false;

  constructor(
    readonly db: StorageDb,
    options: KvEngineOptions,
  ) {
    assert(Number.isSafeInteger(options.cacheSizeBytes) && options.cacheSizeBytes >= 0, 'cacheSizeBytes must be a non-negative integer');
    this.cache = new ValueCache(options.cacheSizeBytes);
    this.sessions = new SessionCache(options.sessionCacheEntriesMax ?? DEFAULT_SESSION_CACHE_ENTRIES);
    this.syncWrites = options.sync ?? false;
    this.queueWrites = options.queueWrites ?? false;
    assert(!(this.syncWrites && this.queueWrites), 'a KV engine that syncs every write cannot queue them');
    this.queueOpsMax = options.queueOpsMax ?? PENDING_OPS_MAX;
    assert(Number.isSafeInteger(this.queueOpsMax) && this.queueOpsMax >= 1, () => `queueOpsMax must be a positive integer, got ${this.queueOpsMax}`);
  }

  async get(partition: GroupId, key: Uint8Array): Promise<KvRecord | undefined> {
    this.checkOpen();
    checkKeySize(key);
    const cached = this.cache.lookup(partition, key);
    if (cached !== undefined) return cached === ABSENT ? undefined : cached;
    await this.landed();
    const generation = this.generation(partition);
    const storageKey = dataKey(partition, key);
    const stored = await this.db.get(storageKey, BYTES);
    const record = stored === undefined ? undefined : decodeRecord(partition, key, storageKey, stored);
    if (this.generation(partition) === generation) this.cache.set(partition, key, record ?? ABSENT, stored?.length ?? 0);
    return record;
  }

  async getMeta(partition: GroupId, key: Uint8Array): Promise<KvRecordMeta | undefined> {
    this.checkOpen();
    checkKeySize(key);
    const cached = this.cache.lookup(partition, key);
    if (cached !== undefined) return cached === ABSENT ? undefined : cached;
    await this.landed();
    const storageKey = dataKey(partition, key);
    const stored = await this.db.get(storageKey, BYTES);
    return stored === undefined ? undefined : decodeRecordMeta(partition, key, storageKey, stored);
  }

  /**
   * The synchronous fast path: the record (or undefined if known absent) when the cache holds
   * the key, NOT_CACHED otherwise. Counts a hit or a miss like get().
   */
  getCached(partition: GroupId, key: Uint8Array): KvRecord | undefined | typeof NOT_CACHED {
    const cached: CachedValue | undefined = this.cache.lookup(partition, key);
    if (cached === undefined) return NOT_CACHED;
    return cached === ABSENT ? undefined : cached;
  }

  cachedKey(partition: GroupId, key: Uint8Array): Uint8Array | undefined {
    return this.cache.keyOf(partition, key);
  }

  async scan(partition: GroupId, options: ScanOptions): Promise<ScanItem[]> {
    this.checkOpen();
    checkKeySize(options.prefix);
    if (options.after !== undefined) checkKeySize(options.after);
    assert(Number.isSafeInteger(options.limit) && options.limit > 0, () => `scan limit must be a positive integer, got ${options.limit}`);
    if (options.limit > SCAN_LIMIT_MAX) throw new LimitError('scan limit (records)', options.limit, SCAN_LIMIT_MAX);
    const bytesMax = options.bytesMax ?? Infinity;
    assert(bytesMax > 0, () => `scan bytesMax must be positive, got ${bytesMax}`);
    const start = dataKey(partition, options.prefix);
    const end = prefixUpperBound(start)!;
    const range: { gte?: Uint8Array; gt?: Uint8Array; lt: Uint8Array } = { lt: end };
    const afterKey = options.after === undefined ? undefined : dataKey(partition, options.after);
    if (afterKey !== undefined && compare(afterKey, start) >= 0) range.gt = afterKey;
    else range.gte = start;
    const out: ScanItem[] = [];
    let bytes = 0;
    await this.landed();
    for await (const [storageKey, stored] of this.db.iterator({ ...BYTES, ...range, limit: options.limit })) {
      const key = storageKey.subarray(PARTITION_PREFIX_SIZE_BYTES);
      const storedBytes = key.length + stored.length;
      out.push({ key, record: decodeRecord(partition, key, storageKey, stored), storedBytes });
      bytes += storedBytes;
      if (bytes >= bytesMax) break;
    }
    return out;
  }

  async appliedIndex(partition: GroupId): Promise<number> {
    this.checkOpen();
    await this.landed();
    const key = appliedKey(partition);
    const stored = await this.db.get(key, BYTES);
    return stored === undefined ? 0 : decodeApplied(partition, key, stored);
  }

  async getSession(partition: GroupId, clientId: string): Promise<SessionRecord | undefined> {
    this.checkOpen();
    checkClientId(clientId);
    const cached = this.sessions.lookup(partition, clientId);
    if (cached !== null) return cached;
    await this.landed();
    const generation = this.generation(partition);
    const key = sessionKey(partition, clientId);
    const stored = await this.db.get(key, BYTES);
    const session = stored === undefined ? undefined : decodeSession(partition, key, stored);
    if (this.generation(partition) === generation) this.sessions.set(partition, clientId, session);
    return session;
  }

  /**
   * The synchronous fast path: the session (or undefined if known absent) when the session cache
   * holds it, NOT_CACHED otherwise. Counts a hit or a miss like getSession().
   */
  getSessionCached(partition: GroupId, clientId: string): SessionRecord | undefined | typeof NOT_CACHED {
    const cached = this.sessions.lookup(partition, clientId);
    return cached === null ? NOT_CACHED : cached;
  }

  async listSessions(partition: GroupId): Promise<Array<{ clientId: string; session: SessionRecord }>> {
    this.checkOpen();
    const out: Array<{ clientId: string; session: SessionRecord }> = [];
    await this.landed();
    for await (const [key, stored] of this.db.iterator({ ...BYTES, ...partitionRange(SESSION_TAG, partition) })) {
      out.push({ clientId: utf8Decode(key.subarray(PARTITION_PREFIX_SIZE_BYTES)), session: decodeSession(partition, key, stored) });
    }
    return out;
  }

  newApplyBatch(): KvApplyBatch {
    this.checkOpen();
    return new StagedKvBatch(this);
  }

  write(batch: KvApplyBatch): Promise<void> {
    this.checkOpen();
    assert(batch instanceof StagedKvBatch && batch.owner === this, 'write: the batch was not made by this engine');
    assert(!batch.sealed, 'write: the batch was already written');
    batch.sealed = true;
    this.checkHealthy();
    if (batch.isEmpty) return Promise.resolve();
    if (!this.queueWrites) {
      return this.serialized(async () => {
        await writeBatch(this.db, batch.allOps(), this.syncWrites);
        this.writeThrough(batch);
      });
    }
    // Queued: LevelDB gets it with later batches, before anything reads it there (landed()).
    this.writeThrough(batch);
    this.pending.add(batch);
    if (this.pending.size < this.queueOpsMax && this.pending.sizeBytes < PENDING_BYTES_MAX) return Promise.resolve();
    // A full queue goes now. Its writer waits only when a queue handed over before it has not
    // landed yet (batches come faster than LevelDB takes them): at most two queues are held. A
    // write that fails unwatched is recorded in `failure`, and the next call fails with it.
    const behind = this.queueWritesInFlight > 0;
    const flush = this.flushPending();
    return behind ? flush : Promise.resolve();
  }

  /** A written batch's changes in the caches, in batch order (a put then a delete of one key
   *  leaves it absent); a read from LevelDB that raced them does not fill (the generation). */
  private writeThrough(batch: StagedKvBatch): void {
    for (const p of batch.partitions) this.bump(p);
    for (const c of batch.cacheChanges) this.cache.set(c.partition, c.key, c.record ?? ABSENT, c.sizeBytes);
    for (const c of batch.sessionChanges) this.sessions.set(c.partition, c.clientId, c.session);
  }

  /** Hands the queued operations to LevelDB as one write, after the mutations before it. */
  private flushPending(): Promise<void> {
    return this.pending.size === 0 ? Promise.resolve() : this.guardedWrite(this.takePending(), false);
  }

  /** Empties the queue, returning what it held (counted as a queue write when not empty). */
  private takePending(): DbOp[] {
    const ops = this.pending.take();
    if (ops.length > 0) this.queueFlushes++;
    return ops;
  }

  /**
   * Writes queued operations (a sync adds its marker) after the mutations before it. Once one
   * such write failed, none is made: LevelDB must never hold later batches without earlier ones
   * (an applied index past data it lacks), so the engine stops instead (checkHealthy). The
   * returned promise needs no handler: serialized() keeps one on it.
   */
  private guardedWrite(ops: DbOp[], sync: boolean): Promise<void> {
    this.queueWritesInFlight++;
    return this.serialized(async () => {
      try {
        this.checkHealthy();
        await writeBatch(this.db, ops, sync);
      } catch (error) {
        this.failure ??= error instanceof Error ? error : new Error(String(error));
        throw error;
      } finally {
        this.queueWritesInFlight--;
      }
    });
  }

  /** Resolves once LevelDB holds every queued change (the reads' wait; none without a queue). */
  private async landed(): Promise<void> {
    if (!this.queueWrites) return;
    void this.flushPending();
    await this.mutations;
    this.checkHealthy();
  }

  /** LevelDB syncs its whole write-ahead log on a synced write, so one tiny synced write makes
   *  every earlier unsynced write durable too. */
  sync(): Promise<void> {
    this.checkOpen();
    this.checkHealthy();
    // The queue goes in the synced write itself.
    const ops = this.takePending();
    ops.push({ type: 'put', key: SYNC_MARKER_KEY, value: new Uint8Array(0) });
    return this.guardedWrite(ops, true);
  }

  async *exportPartition(partition: GroupId, chunkSizeBytes: number): AsyncIterable<Uint8Array> {
    this.checkOpen();
    assert(
      Number.isSafeInteger(chunkSizeBytes) && chunkSizeBytes >= EXPORT_CHUNK_SIZE_BYTES_MIN && chunkSizeBytes <= EXPORT_CHUNK_SIZE_BYTES_MAX,
      () => `export chunk size must be in [${EXPORT_CHUNK_SIZE_BYTES_MIN}, ${EXPORT_CHUNK_SIZE_BYTES_MAX}], got ${chunkSizeBytes}`,
    );
    const writer = new ChunkWriter(partition, chunkSizeBytes);
    await this.landed();
    if (this.db.supports.explicitSnapshots) {
      // One snapshot for all three ranges: data, sessions and applied index agree with each other.
      const snapshot = this.db.snapshot();
      try {
        for (const tag of [DATA_TAG, SESSION_TAG, APPLIED_TAG]) {
          for await (const [key, value] of this.db.iterator({ ...BYTES, ...partitionRange(tag, partition), snapshot })) {
            const chunk = writer.add({ tag, key: key.subarray(PARTITION_PREFIX_SIZE_BYTES), value });
            if (chunk !== undefined) yield chunk;
          }
        }
      } finally {
        await snapshot.close();
      }
    } else {
      // Without snapshots, read the partition between two mutations so it is consistent.
      const items = await this.serialized(async () => {
        const all: Array<{ tag: number; key: Uint8Array; value: Uint8Array }> = [];
        for (const tag of [DATA_TAG, SESSION_TAG, APPLIED_TAG]) {
          for await (const [key, value] of this.db.iterator({ ...BYTES, ...partitionRange(tag, partition) })) {
            all.push({ tag, key: key.subarray(PARTITION_PREFIX_SIZE_BYTES), value });
          }
        }
        return all;
      });
      for (const item of items) {
        const chunk = writer.add(item);
        if (chunk !== undefined) yield chunk;
      }
    }
    yield writer.finish();
  }

  async importPartition(partition: GroupId, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
    this.checkOpen();
    // Verify everything before touching the database: a bad chunk changes nothing.
    const puts: DbOp[] = [];
    let expectedSeq = 0;
    let items = 0;
    let sizeBytes = 0;
    let finished = false;
    for await (const chunk of chunks) {
      if (finished) throw new CorruptionError('snapshot chunk after the last one', { group: partition });
      sizeBytes += chunk.length;
      if (sizeBytes > IMPORT_SIZE_BYTES_MAX) throw new LimitError('partition import', sizeBytes, IMPORT_SIZE_BYTES_MAX);
      const parsed = parseChunk(partition, chunk);
      if (parsed.seq !== expectedSeq) throw new CorruptionError(`snapshot chunk ${parsed.seq} arrived where ${expectedSeq} was expected`, { group: partition });
      if (parsed.itemsBefore !== items) throw new CorruptionError(`snapshot chunk ${parsed.seq} follows ${parsed.itemsBefore} items, ${items} arrived`, { group: partition });
      for (const item of parsed.items) puts.push(this.verifiedImportOp(partition, item.tag, item.key, item.value));
      items += parsed.items.length;
      expectedSeq++;
      finished = parsed.last;
    }
    if (!finished) throw new CorruptionError('snapshot stream ended before its last chunk', { group: partition });
    await this.replacePartition(partition, puts);
  }

  dropPartition(partition: GroupId): Promise<void> {
    this.checkOpen();
    return this.replacePartition(partition, []);
  }

  /**
   * Deletes everything of a partition and writes `puts` in its place, in ONE batch (a half-done
   * replacement would be data without its applied index), after the queue handed over first (its
   * changes to the partition are deleted with the rest) and never behind a failed write.
   */
  private replacePartition(partition: GroupId, puts: readonly DbOp[]): Promise<void> {
    this.checkHealthy();
    void this.flushPending();
    return this.serialized(async () => {
      this.checkHealthy();
      const ops = await this.partitionDeletes(partition);
      for (const op of puts) ops.push(op);
      await writeBatch(this.db, ops, this.syncWrites);
      this.bump(partition);
      this.cache.dropPartition(partition);
      this.sessions.dropPartition(partition);
    });
  }

  /** SHA-256 over the partition's data records and session table in key order (so equal
   *  content gives an equal digest on any replica). The applied index is left out: compare it
   *  separately, or take both from one read with appliedDigest(). Every record's checksum is
   *  verified on the way. */
  async digest(partition: GroupId): Promise<string> {
    return (await this.appliedDigest(partition)).digest;
  }

  /**
   * The partition's digest and the applied index it is the state of, read together (one LevelDB
   * snapshot, or between two mutations without snapshots). A replica's applied index read
   * separately may be older or newer than what a later digest() sees: with queueWrites the digest
   * first waits for LevelDB to take the queue, and rounds applied meanwhile land with it.
   */
  async appliedDigest(partition: GroupId): Promise<{ appliedIndex: number; digest: string }> {
    this.checkOpen();
    await this.landed();
    if (this.db.supports.explicitSnapshots) {
      const snapshot = this.db.snapshot();
      try {
        return await this.readDigest(partition, snapshot);
      } finally {
        await snapshot.close();
      }
    }
    return this.serialized(() => this.readDigest(partition, undefined));
  }

  private async readDigest(partition: GroupId, snapshot: ReturnType<StorageDb['snapshot']> | undefined): Promise<{ appliedIndex: number; digest: string }> {
    const hash = createHash('sha256');
    const length = new Uint8Array(4);
    const view = new DataView(length.buffer);
    const feed = (bytes: Uint8Array): void => {
      view.setUint32(0, bytes.length);
      hash.update(length);
      hash.update(bytes);
    };
    let appliedIndex = 0;
    for (const tag of [DATA_TAG, SESSION_TAG, APPLIED_TAG]) {
      const options = snapshot === undefined ? { ...BYTES, ...partitionRange(tag, partition) } : { ...BYTES, ...partitionRange(tag, partition), snapshot };
      for await (const [key, value] of this.db.iterator(options)) {
        if (tag === APPLIED_TAG) {
          appliedIndex = decodeApplied(partition, key, value);
          continue;
        }
        if (tag === DATA_TAG) decodeRecord(partition, key.subarray(PARTITION_PREFIX_SIZE_BYTES), key, value);
        else decodeSession(partition, key, value);
        hash.update(Uint8Array.of(tag));
        feed(key.subarray(PARTITION_PREFIX_SIZE_BYTES));
        feed(value);
      }
    }
    return { appliedIndex, digest: hash.digest('hex') };
  }

  /** The LevelDB writes that carried queued operations, and the operations queued now (0 and 0 without queueWrites). */
  queueStats(): { flushes: number; queuedOps: number } {
    return { flushes: this.queueFlushes, queuedOps: this.pending.size };
  }

  cacheStats(): { hits: number; misses: number; sizeBytes: number; entries: number; sessionHits: number; sessionMisses: number } {
    return { hits: this.cache.hits, misses: this.cache.misses, sizeBytes: this.cache.sizeBytes, entries: this.cache.entries, sessionHits: this.sessions.hits, sessionMisses: this.sessions.misses };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // What is queued reaches LevelDB (unsynced, like every apply batch) unless it already failed.
    if (this.failure === undefined) void this.flushPending();
    await this.mutations.catch(() => undefined);
    await this.db.close();
  }

  private verifiedImportOp(partition: GroupId, tag: number, key: Uint8Array, value: Uint8Array): DbOp {
    // Copy out of the chunk so the batch does not pin every chunk's buffer.
    const ownValue = value.slice();
    if (tag === DATA_TAG) {
      checkKeySize(key);
      const storageKey = dataKey(partition, key);
      decodeRecord(partition, key, storageKey, ownValue);
      return { type: 'put', key: storageKey, value: ownValue };
    }
    if (tag === SESSION_TAG) {
      const storageKey = prefixedKey(SESSION_TAG, partition, key);
      decodeSession(partition, storageKey, ownValue);
      return { type: 'put', key: storageKey, value: ownValue };
    }
    if (tag === APPLIED_TAG && key.length === 0) {
      const storageKey = appliedKey(partition);
      decodeApplied(partition, storageKey, ownValue);
      return { type: 'put', key: storageKey, value: ownValue };
    }
    throw new CorruptionError(`snapshot item has unknown tag ${tag}`, { group: partition, key });
  }

  /** Deletes for every key the partition holds now. Runs inside a mutation. */
  private async partitionDeletes(partition: GroupId): Promise<DbOp[]> {
    const ops: DbOp[] = [];
    for (const tag of [DATA_TAG, SESSION_TAG, APPLIED_TAG]) {
      for await (const key of this.db.keys({ ...BYTES, ...partitionRange(tag, partition) })) ops.push({ type: 'del', key });
    }
    return ops;
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.mutations.then(work, work);
    this.mutations = run.catch(() => undefined);
    return run;
  }

  private generation(partition: GroupId): number {
    return this.generations.get(partition) ?? 0;
  }

  private bump(partition: GroupId): void {
    this.generations.set(partition, this.generation(partition) + 1);
  }

  private checkOpen(): void {
    assert(!this.closed, 'the KV engine is closed');
  }

  /** After a failed LevelDB write the engine's state on disk is unknown: nothing more is done. */
  private checkHealthy(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}

function compare(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

export type OpenKvEngineOptions =
  | ({ readonly path: string } & Partial<KvEngineOptions>)
  | ({ readonly db: StorageDb } & Partial<KvEngineOptions>);

/** Opens the KV engine on a directory (classic-level) or on a given abstract-level database. */
export async function openKvEngine(options: OpenKvEngineOptions): Promise<LevelKvEngine> {
  // Every engine option passes through as given (a list of the ones to copy once dropped
  // queueWrites, and with it the queue, without a word): only the database is taken out.
  const { path, db: given, ...engineOptions } = { path: undefined, db: undefined, ...options };
  const db = path !== undefined ? await openDiskDb(path) : await readyDb(given!);
  return new LevelKvEngine(db, { ...engineOptions, cacheSizeBytes: engineOptions.cacheSizeBytes ?? DEFAULT_CACHE_SIZE_BYTES });
}

/** A KV engine over memory-level, for tests. */
export async function openMemoryKvEngine(options: Partial<KvEngineOptions> = {}): Promise<LevelKvEngine> {
  return openKvEngine({ db: await openMemoryDb(), ...options });
}
