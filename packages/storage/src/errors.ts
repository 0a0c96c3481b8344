/**
 * Typed errors of the storage engines. Callers handle these; a broken invariant inside the engine
 * is an `assert` instead. storage may not import packages/raft, so the Raft log errors are ours:
 * the Store translates LogCompactedError / LogUnavailableError into the Raft core's own errors
 * where the core needs them (their names and fields match etcd's ErrCompacted / ErrUnavailable).
 */
import type { GroupId } from '@ringkv/stdx';
import { toHex } from '@ringkv/stdx';

/** The requested log index lies at or below the compaction point (only its term is known there). */
export class LogCompactedError extends Error {
  override readonly name = 'LogCompactedError';
  constructor(
    readonly group: GroupId,
    readonly index: number,
    readonly firstIndex: number,
  ) {
    super(`group ${group}: log index ${index} is compacted (first index is ${firstIndex})`);
  }
}

/** The requested log index lies beyond the last stored entry. */
export class LogUnavailableError extends Error {
  override readonly name = 'LogUnavailableError';
  constructor(
    readonly group: GroupId,
    readonly index: number,
    readonly lastIndex: number,
  ) {
    super(`group ${group}: log index ${index} is unavailable (last index is ${lastIndex})`);
  }
}

/**
 * Stored bytes failed their checksum or broke a structural invariant (a gap in the log, a record
 * stored under the wrong key). Never returned as data: the replica must be repaired from its peers.
 */
export class CorruptionError extends Error {
  override readonly name = 'CorruptionError';
  /** The Raft group (log engine) or partition (KV engine) the bad record belongs to. */
  readonly group: GroupId | undefined;
  /** The log index of the bad entry (log engine). */
  readonly index: number | undefined;
  /** The user key of the bad record (KV engine). */
  readonly key: Uint8Array | undefined;
  constructor(
    readonly detail: string,
    where: { group?: GroupId; index?: number; key?: Uint8Array },
  ) {
    const parts: string[] = [];
    if (where.group !== undefined) parts.push(`group ${where.group}`);
    if (where.index !== undefined) parts.push(`index ${where.index}`);
    if (where.key !== undefined) parts.push(`key 0x${toHex(where.key.subarray(0, 64))}${where.key.length > 64 ? '…' : ''}`);
    super(`corruption at ${parts.join(', ') || 'unknown location'}: ${detail}`);
    this.group = where.group;
    this.index = where.index;
    this.key = where.key;
  }
}

/** A key, value, session or batch is over a documented limit; nothing was written. */
export class LimitError extends Error {
  override readonly name = 'LimitError';
  constructor(
    readonly what: string,
    readonly sizeBytes: number,
    readonly sizeBytesMax: number,
  ) {
    super(`${what} is ${sizeBytes} bytes, over the limit of ${sizeBytesMax} bytes`);
  }
}
