/**
 * The Raft log engine: every group's log in one LevelDB database, written once per round with
 * one synced batch (group commit), read from memory.
 */
import type { GroupId } from '@ringkv/stdx';
import { assert, groupId } from '@ringkv/stdx';
import type { StorageDb } from './db';
import { openDiskDb, openMemoryDb, readyDb, writeBatch } from './db';
import { CorruptionError } from './errors';
import { EMPTY_HARD_STATE, EMPTY_SNAPSHOT_META, MemoryGroupLog } from './group-log';
import type { GroupLog, LogCommitOptions, LogEntry, LogWriteBatch, RaftLogEngine } from './interfaces';
import type { DbOp } from './db';
import { StagedLogBatch, sealForCommit } from './log-batch';
import { decodeEntry, decodeHardState, decodeSnapshotMeta } from './log-codec';
import { ENTRY_TAG, HARD_STATE_TAG, SNAPSHOT_TAG, entryKeyIndex, entryRangeEnd, entryRangeStart, groupKey, keyGroup } from './log-keys';

const BYTES = { keyEncoding: 'view', valueEncoding: 'view' } as const;

export interface LogEngineStats {
  /** Synced batches written. */
  readonly commits: number;
  /** LevelDB operations (puts and deletes) in those batches. */
  readonly opsWritten: number;
  readonly groupsOpen: number;
}

export class LevelRaftLogEngine implements RaftLogEngine {
  private readonly logs = new Map<GroupId, Promise<MemoryGroupLog>>();
  private readonly openLogs = new Set<MemoryGroupLog>();
  private commitSeq = 0;
  private inFlight = false;
  private opsWritten = 0;
  private closed = false;

  constructor(readonly db: StorageDb) {}

  openGroup(group: GroupId): Promise<GroupLog> {
    this.checkOpen();
    let log = this.logs.get(group);
    if (log === undefined) {
      log = this.load(group);
      this.logs.set(group, log);
      // A failed load (corruption) must not be cached: the caller may repair and retry.
      log.catch(() => this.logs.delete(group));
    }
    return log;
  }

  async listGroups(): Promise<GroupId[]> {
    this.checkOpen();
    const groups = new Set<number>();
    for (const tag of [HARD_STATE_TAG, SNAPSHOT_TAG]) {
      for await (const key of this.db.keys({ ...BYTES, gte: Uint8Array.of(tag), lt: Uint8Array.of(tag + 1) })) groups.add(keyGroup(key));
    }
    // Entries: visit one key per group, then seek past the group.
    const it = this.db.keys({ ...BYTES, gte: Uint8Array.of(ENTRY_TAG), lt: Uint8Array.of(ENTRY_TAG + 1) });
    try {
      while (true) {
        const key = await it.next();
        if (key === undefined) break;
        const group = keyGroup(key);
        groups.add(group);
        if (group === 0xffffffff) break;
        it.seek(entryRangeEnd(groupId(group)) as Uint8Array<ArrayBuffer>);
      }
    } finally {
      await it.close();
    }
    return [...groups].sort((a, b) => a - b).map(groupId);
  }

  newBatch(): LogWriteBatch {
    this.checkOpen();
    return new StagedLogBatch(this, this.commitSeq, (log): log is MemoryGroupLog => log instanceof MemoryGroupLog && this.openLogs.has(log));
  }

  async commit(batch: LogWriteBatch, options?: LogCommitOptions): Promise<void> {
    this.checkOpen();
    const staged = sealForCommit(batch, this, this.commitSeq, this.inFlight);
    if (staged === undefined) return;
    this.inFlight = true;
    try {
      await writeBatch(this.db, staged.ops, options?.sync ?? true);
    } finally {
      this.inFlight = false;
    }
    this.commitSeq++;
    this.opsWritten += staged.ops.length;
    // Durable: now (and only now) the in-memory logs change.
    staged.applyDurable();
  }

  async dropGroup(group: GroupId): Promise<void> {
    this.checkOpen();
    assert(!this.inFlight, 'dropGroup: a log batch or another drop is being written');
    const ops: DbOp[] = [
      { type: 'del', key: groupKey(HARD_STATE_TAG, group) },
      { type: 'del', key: groupKey(SNAPSHOT_TAG, group) },
    ];
    // Like a commit, a drop excludes other writes: a round written in between could leave entries
    // of the dropped group behind, which would read back as a log with a gap.
    this.inFlight = true;
    try {
      for await (const key of this.db.keys({ ...BYTES, gte: entryRangeStart(group), lt: entryRangeEnd(group) })) ops.push({ type: 'del', key });
      // One batch: a half-dropped log would read back as a log with a gap.
      await writeBatch(this.db, ops, true);
    } finally {
      this.inFlight = false;
    }
    this.commitSeq++;
    const open = this.logs.get(group);
    this.logs.delete(group);
    if (open !== undefined) {
      const log = await open.catch(() => undefined);
      if (log !== undefined) {
        log.dropped = true;
        this.openLogs.delete(log);
      }
    }
  }

  stats(): LogEngineStats {
    return { commits: this.commitSeq, opsWritten: this.opsWritten, groupsOpen: this.openLogs.size };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.close();
  }

  /** Reads the group's log since its compaction point, verifying every checksum and that indexes are contiguous. */
  private async load(group: GroupId): Promise<MemoryGroupLog> {
    const snapRecord = await this.db.get(groupKey(SNAPSHOT_TAG, group), BYTES);
    const meta = snapRecord === undefined ? EMPTY_SNAPSHOT_META : decodeSnapshotMeta(group, snapRecord);
    const hsRecord = await this.db.get(groupKey(HARD_STATE_TAG, group), BYTES);
    const hardState = hsRecord === undefined ? EMPTY_HARD_STATE : decodeHardState(group, hsRecord);
    const entries: LogEntry[] = [];
    let expected = meta.index + 1;
    let prevTerm = meta.term;
    for await (const [key, value] of this.db.iterator({ ...BYTES, gte: entryRangeStart(group), lt: entryRangeEnd(group) })) {
      const index = entryKeyIndex(key);
      if (index !== expected) {
        throw new CorruptionError(
          index < expected ? `entry at or below the compaction point ${meta.index} survived compaction` : `log gap: expected index ${expected}`,
          { group, index },
        );
      }
      const entry = decodeEntry(group, index, value);
      if (entry.term < prevTerm) throw new CorruptionError(`entry term ${entry.term} is below its predecessor's ${prevTerm}`, { group, index });
      entries.push(entry);
      prevTerm = entry.term;
      expected++;
    }
    const log = new MemoryGroupLog(group, hardState, meta, entries);
    this.openLogs.add(log);
    return log;
  }

  private checkOpen(): void {
    assert(!this.closed, 'the log engine is closed');
  }
}

export type OpenLogEngineOptions = { readonly path: string } | { readonly db: StorageDb };

/** Opens the log engine on a directory (classic-level) or on a given abstract-level database. */
export async function openLogEngine(options: OpenLogEngineOptions): Promise<LevelRaftLogEngine> {
  const db = 'path' in options ? await openDiskDb(options.path) : await readyDb(options.db);
  return new LevelRaftLogEngine(db);
}

/** A log engine over memory-level, for tests. */
export async function openMemoryLogEngine(): Promise<LevelRaftLogEngine> {
  return new LevelRaftLogEngine(await openMemoryDb());
}
