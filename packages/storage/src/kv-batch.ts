/**
 * One round's changes to the KV engine across partitions: data, sessions and applied indexes.
 * Every limit is checked and every record encoded when it is staged, so a bad command fails
 * before anything reaches the database, and write() is one atomic LevelDB batch.
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
  readonly ops: DbOp[] = [];
  readonly cacheChanges: CacheChange[] = [];
  readonly sessionChanges: SessionChange[] = [];
  readonly partitions = new Set<GroupId>();
  sealed = false;

  constructor(readonly owner: object) {}

  get isEmpty(): boolean {
    return this.ops.length === 0;
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
    this.ops.push({ type: 'put', key: storageKey, value: stored });
    this.cacheChanges.push({ partition, key: storageKey.subarray(5), record: readBack, sizeBytes: stored.length });
    this.partitions.add(partition);
  }

  delete(partition: GroupId, key: Uint8Array): void {
    this.checkOpen();
    checkKeySize(key);
    const storageKey = dataKey(partition, key);
    this.ops.push({ type: 'del', key: storageKey });
    this.cacheChanges.push({ partition, key: storageKey.subarray(5), record: undefined, sizeBytes: 0 });
    this.partitions.add(partition);
  }

  setSession(partition: GroupId, clientId: string, session: SessionRecord): void {
    this.checkOpen();
    checkClientId(clientId);
    if (session.answer.length > SESSION_ANSWER_SIZE_BYTES_MAX) throw new LimitError('session answer', session.answer.length, SESSION_ANSWER_SIZE_BYTES_MAX);
    checkCount(session.lastSeq, 'session lastSeq');
    checkCount(session.lastSeenMs, 'session lastSeenMs');
    const key = sessionKey(partition, clientId);
    this.ops.push({ type: 'put', key, value: encodeSession(key, session) });
    this.sessionChanges.push({ partition, clientId, session });
    this.partitions.add(partition);
  }

  deleteSession(partition: GroupId, clientId: string): void {
    this.checkOpen();
    checkClientId(clientId);
    this.ops.push({ type: 'del', key: sessionKey(partition, clientId) });
    this.sessionChanges.push({ partition, clientId, session: undefined });
    this.partitions.add(partition);
  }

  setAppliedIndex(partition: GroupId, index: number): void {
    this.checkOpen();
    checkCount(index, 'applied index');
    const key = appliedKey(partition);
    this.ops.push({ type: 'put', key, value: encodeApplied(key, index) });
    this.partitions.add(partition);
  }

  private checkOpen(): void {
    assert(!this.sealed, 'this apply batch was already written');
  }
}
