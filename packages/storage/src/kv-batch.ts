/**
 * One round's changes to the KV engine across partitions: data, sessions and applied indexes.
 * Every limit is checked and every data record encoded when it is staged, so a bad command fails
 * before anything reaches the database, and write() is one atomic LevelDB batch. Sessions and
 * applied indexes are kept as values and encoded when they go to LevelDB (sessionOp,
 * appliedOp): the engine's write queue keeps only the last of each per key, and encodes that one.
 */
import type { GroupId } from '@ringkv/stdx';
import { assert } from '@ringkv/stdx';
import type { KvApplyBatch, KvRecord, SessionRecord } from './interfaces';
import { VALUE_SIZE_BYTES_MAX } from './interfaces';
import { encodeApplied, encodeRecord, encodeSession } from './kv-codec';
import { appliedKey, dataKey, sessionKey } from './kv-keys';
import { SESSION_ANSWER_SIZE_BYTES_MAX, checkClientId, checkKeySize, checkValueSize } from './limits';
import { LimitError } from './errors';
import type { DbOp } from './db';

/** A cache change to make once the batch is durable. */
export interface CacheChange {
  readonly partition: GroupId;
  readonly key: Uint8Array;
  /** undefined = deleted. */
  readonly record: KvRecord | undefined;
  readonly sizeBytes: number;
}

function checkCount(value: number, what: string): void {
  assert(Number.isSafeInteger(value) && value >= 0, () => `${what} must be a non-negative safe integer, got ${value}`);
}

/** A session table change to make in the session cache once the batch is written. */
export interface SessionChange {
  readonly partition: GroupId;
  readonly clientId: string;
  /** undefined = deleted. */
  readonly session: SessionRecord | undefined;
}

export class StagedKvBatch implements KvApplyBatch {
  /** The data records' puts and deletes, encoded, in staging order. */
  readonly dataOps: DbOp[] = [];
  readonly cacheChanges: CacheChange[] = [];
  /** The session table's changes in staging order (a later one of a session replaces an earlier). */
  readonly sessionChanges: SessionChange[] = [];
  /** Per partition, the applied index to store. */
  readonly applied = new Map<GroupId, number>();
  readonly partitions = new Set<GroupId>();
  sealed = false;

  constructor(readonly owner: object) {}

  get isEmpty(): boolean {
    return this.dataOps.length === 0 && this.sessionChanges.length === 0 && this.applied.size === 0;
  }

  /** Every LevelDB operation of the batch (the direct write's). */
  allOps(): DbOp[] {
    const ops = this.dataOps.slice();
    for (const c of this.sessionChanges) ops.push(sessionOp(c.partition, c.clientId, c.session));
    for (const [partition, index] of this.applied) ops.push(appliedOp(partition, index));
    return ops;
  }

  put(partition: GroupId, key: Uint8Array, record: KvRecord): void {
    this.checkOpen();
    checkKeySize(key);
    // A string of n UTF-16 units has at most 3n UTF-8 bytes: a short one needs no measuring.
    const v = record.value;
    if (typeof v !== 'string' || v.length * 3 > VALUE_SIZE_BYTES_MAX) checkValueSize(v);
    assert(record.version >= 1 && Number.isSafeInteger(record.version), () => `record version must be >= 1, got ${record.version}`);
    checkCount(record.createRevision, 'createRevision');
    checkCount(record.modRevision, 'modRevision');
    if (record.expiresAtMs !== undefined) checkCount(record.expiresAtMs, 'expiresAtMs');
    const storageKey = dataKey(partition, key);
    // A view of the user key inside the storage key (carved, so never reused): the cache copies
    // it if it keeps it (ValueCache.set), so no slab stays alive for a cached key.
    const { stored, readBack } = encodeRecord(storageKey, record);
    this.dataOps.push({ type: 'put', key: storageKey, value: stored });
    this.cacheChanges.push({ partition, key: storageKey.subarray(5), record: readBack, sizeBytes: stored.length });
    this.partitions.add(partition);
  }

  delete(partition: GroupId, key: Uint8Array): void {
    this.checkOpen();
    checkKeySize(key);
    const storageKey = dataKey(partition, key);
    this.dataOps.push({ type: 'del', key: storageKey });
    this.cacheChanges.push({ partition, key: storageKey.subarray(5), record: undefined, sizeBytes: 0 });
    this.partitions.add(partition);
  }

  setSession(partition: GroupId, clientId: string, session: SessionRecord): void {
    this.checkOpen();
    checkClientId(clientId);
    if (session.answer.length > SESSION_ANSWER_SIZE_BYTES_MAX) throw new LimitError('session answer', session.answer.length, SESSION_ANSWER_SIZE_BYTES_MAX);
    checkCount(session.lastSeq, 'session lastSeq');
    checkCount(session.lastSeenMs, 'session lastSeenMs');
    this.sessionChanges.push({ partition, clientId, session });
    this.partitions.add(partition);
  }

  deleteSession(partition: GroupId, clientId: string): void {
    this.checkOpen();
    checkClientId(clientId);
    this.sessionChanges.push({ partition, clientId, session: undefined });
    this.partitions.add(partition);
  }

  setAppliedIndex(partition: GroupId, index: number): void {
    this.checkOpen();
    checkCount(index, 'applied index');
    this.applied.set(partition, index);
    this.partitions.add(partition);
  }

  private checkOpen(): void {
    assert(!this.sealed, 'this apply batch was already written');
  }
}

/** The LevelDB operation that stores a session (or deletes it: undefined). */
export function sessionOp(partition: GroupId, clientId: string, session: SessionRecord | undefined): DbOp {
  const key = sessionKey(partition, clientId);
  return session === undefined ? { type: 'del', key } : { type: 'put', key, value: encodeSession(key, session) };
}

/** The LevelDB operation that stores a partition's applied index. */
export function appliedOp(partition: GroupId, index: number): DbOp {
  const key = appliedKey(partition);
  return { type: 'put', key, value: encodeApplied(key, index) };
}
