/**
 * A round's log writes for every group, staged as a list of changes per group (and, for the
 * LevelDB engine, as LevelDB operations). Staging validates each
 * change against the group's log as it will be once the earlier changes in this batch land (its
 * "staged view"), so appends, truncations, compactions and snapshots may be mixed in one round.
 * Nothing reaches a GroupLog until the engine has written the whole batch with sync: true.
 */
import type { GroupId } from '@ringkv/stdx';
import { assert } from '@ringkv/stdx';
import { LogCompactedError, LogUnavailableError } from './errors';
import type { GroupLog, LogEntry, LogHardState, LogSnapshot, LogWriteBatch } from './interfaces';
import { encodeEntry, encodeHardState, encodeSnapshotMeta } from './log-codec';
import { HARD_STATE_TAG, SNAPSHOT_TAG, entryKey, groupKey } from './log-keys';
import type { MemoryGroupLog } from './group-log';
import type { DbOp } from './db';


export type GroupChange =
  | { kind: 'append'; entries: readonly LogEntry[] }
  | { kind: 'hardState'; hardState: LogHardState }
  | { kind: 'compact'; meta: LogSnapshot['metadata'] }
  | { kind: 'snapshot'; meta: LogSnapshot['metadata'] };

/** The group's log as it will be after the changes staged so far. */
interface StagedGroup {
  readonly log: MemoryGroupLog;
  snapIndex: number;
  snapTerm: number;
  lastIndex: number;
  /** Entries staged in this batch, holding indexes tailFrom .. tailFrom + tail.length - 1. */
  tailFrom: number;
  tail: LogEntry[];
  readonly changes: GroupChange[];
}

export class StagedLogBatch implements LogWriteBatch {
  readonly ops: DbOp[] = [];
  readonly groups = new Map<GroupId, StagedGroup>();
  /** Set once committed (or failed): a batch is written at most once. */
  sealed = false;

  constructor(
    /** The engine that made the batch: logs from another engine are refused. */
    readonly owner: object,
    /** The engine's commit count when the batch was made: a batch staged against an older view is refused. */
    readonly baseCommitSeq: number,
    private readonly isOwnLog: (log: GroupLog) => log is MemoryGroupLog,
    /** False for an engine that encodes the changes itself (the segment log): no LevelDB ops are staged. */
    private readonly stageOps = true,
  ) {}

  private changeCount = 0;

  get isEmpty(): boolean {
    return this.changeCount === 0;
  }

  append(log: GroupLog, entries: readonly LogEntry[]): void {
    if (entries.length === 0) return;
    const g = this.stage(log);
    const from0 = entries[0]!.index;
    for (let i = 1; i < entries.length; i++) {
      assert(entries[i]!.index === from0 + i, () => `group ${log.group}: appended entries are not contiguous at position ${i}`);
      assert(entries[i]!.term >= entries[i - 1]!.term, () => `group ${log.group}: appended entry terms decrease at index ${entries[i]!.index}`);
    }
    // Entries at or below the compaction point are already in the snapshot: skip them (as etcd does).
    const first = g.snapIndex + 1;
    if (from0 + entries.length - 1 < first) return;
    const fresh = from0 < first ? entries.slice(first - from0) : entries;
    const from = fresh[0]!.index;
    const newLast = from + fresh.length - 1;
    if (from > g.lastIndex + 1) throw new LogUnavailableError(log.group, from - 1, g.lastIndex);
    const prevTerm = this.stagedTerm(g, from - 1);
    assert(fresh[0]!.term >= prevTerm, () => `group ${log.group}: entry ${from} has term ${fresh[0]!.term} below its predecessor's ${prevTerm}`);

    if (this.stageOps) {
      for (const e of fresh) this.ops.push({ type: 'put', key: entryKey(log.group, e.index), value: encodeEntry(log.group, e) });
      // Truncate the conflicting suffix that the new entries do not overwrite.
      for (let i = newLast + 1; i <= g.lastIndex; i++) this.ops.push({ type: 'del', key: entryKey(log.group, i) });
    }

    if (from >= g.tailFrom) {
      g.tail.length = from - g.tailFrom;
      for (const e of fresh) g.tail.push(e);
    } else {
      g.tailFrom = from;
      g.tail = fresh.slice();
    }
    g.lastIndex = newLast;
    g.changes.push({ kind: 'append', entries: fresh });
    this.changeCount++;
  }

  setHardState(log: GroupLog, hardState: LogHardState): void {
    const g = this.stage(log);
    if (this.stageOps) this.ops.push({ type: 'put', key: groupKey(HARD_STATE_TAG, log.group), value: encodeHardState(log.group, hardState) });
    g.changes.push({ kind: 'hardState', hardState });
    this.changeCount++;
  }

  applySnapshot(log: GroupLog, snapshot: LogSnapshot): void {
    const g = this.stage(log);
    const meta = snapshot.metadata;
    assert(meta.index > g.snapIndex, () => `group ${log.group}: snapshot at ${meta.index} is not newer than the compaction point ${g.snapIndex}`);
    if (this.stageOps) {
      for (let i = g.snapIndex + 1; i <= g.lastIndex; i++) this.ops.push({ type: 'del', key: entryKey(log.group, i) });
      this.ops.push({ type: 'put', key: groupKey(SNAPSHOT_TAG, log.group), value: encodeSnapshotMeta(log.group, meta) });
    }
    g.snapIndex = meta.index;
    g.snapTerm = meta.term;
    g.lastIndex = meta.index;
    g.tailFrom = meta.index + 1;
    g.tail = [];
    g.changes.push({ kind: 'snapshot', meta });
    this.changeCount++;
  }

  compact(log: GroupLog, index: number, snapshotMeta: LogSnapshot['metadata']): void {
    const g = this.stage(log);
    assert(snapshotMeta.index === index, () => `group ${log.group}: compact(${index}) with snapshot metadata at ${snapshotMeta.index}`);
    if (index <= g.snapIndex) throw new LogCompactedError(log.group, index, g.snapIndex + 1);
    if (index > g.lastIndex) throw new LogUnavailableError(log.group, index, g.lastIndex);
    const termAt = this.stagedTerm(g, index);
    assert(snapshotMeta.term === termAt, () => `group ${log.group}: compaction metadata term ${snapshotMeta.term} differs from the log's term ${termAt} at ${index}`);
    if (this.stageOps) {
      for (let i = g.snapIndex + 1; i <= index; i++) this.ops.push({ type: 'del', key: entryKey(log.group, i) });
      this.ops.push({ type: 'put', key: groupKey(SNAPSHOT_TAG, log.group), value: encodeSnapshotMeta(log.group, snapshotMeta) });
    }
    g.snapIndex = index;
    g.snapTerm = snapshotMeta.term;
    if (g.tailFrom <= index) {
      g.tail = g.tail.slice(Math.min(index + 1 - g.tailFrom, g.tail.length));
      g.tailFrom = index + 1;
    }
    g.changes.push({ kind: 'compact', meta: snapshotMeta });
    this.changeCount++;
  }

  /** Once the engine has made the batch durable: the in-memory logs take its changes, in order. */
  applyDurable(): void {
    for (const g of this.groups.values()) {
      for (const change of g.changes) {
        switch (change.kind) {
          case 'append':
            g.log.applyDurableAppend(change.entries);
            break;
          case 'hardState':
            g.log.applyDurableHardState(change.hardState);
            break;
          case 'compact':
            g.log.applyDurableCompact(change.meta);
            break;
          case 'snapshot':
            g.log.applyDurableSnapshot(change.meta);
            break;
        }
      }
      assert(g.log.lastIndex() === g.lastIndex, () => `group ${g.log.group}: log ends at ${g.log.lastIndex()} after commit, staged ${g.lastIndex}`);
    }
  }

  private stage(log: GroupLog): StagedGroup {
    assert(!this.sealed, 'this log batch was already committed');
    assert(this.isOwnLog(log), () => `group ${log.group}: this GroupLog was not opened by the engine that made the batch`);
    assert(!log.dropped, () => `group ${log.group}: its log was dropped`);
    let g = this.groups.get(log.group);
    if (g === undefined) {
      const snap = log.snapshot().metadata;
      const lastIndex = log.lastIndex();
      g = { log, snapIndex: snap.index, snapTerm: snap.term, lastIndex, tailFrom: lastIndex + 1, tail: [], changes: [] };
      this.groups.set(log.group, g);
    }
    assert(g.log === log, () => `group ${log.group}: two GroupLog objects for one group in one batch`);
    return g;
  }

  /** Term at index in the staged view; index is known to lie in [snapIndex, lastIndex]. */
  private stagedTerm(g: StagedGroup, index: number): number {
    if (index === g.snapIndex) return g.snapTerm;
    assert(index > g.snapIndex && index <= g.lastIndex, () => `group ${g.log.group}: staged term of ${index} outside the log`);
    if (index >= g.tailFrom) return g.tail[index - g.tailFrom]!.term;
    return g.log.term(index);
  }
}

/**
 * What both log engines check before writing a batch: it is theirs, written once, staged against
 * the durable view as it is now (batches are committed one at a time, in order), and none of its
 * groups was dropped meanwhile. Seals it; returns it, or undefined when it holds nothing to write.
 */
export function sealForCommit(batch: LogWriteBatch, owner: object, commitSeq: number, inFlight: boolean): StagedLogBatch | undefined {
  assert(batch instanceof StagedLogBatch && batch.owner === owner, 'commit: the batch was not made by this engine');
  assert(!batch.sealed, 'commit: the batch was already committed');
  batch.sealed = true;
  if (batch.isEmpty) return undefined;
  assert(!inFlight, 'commit: another log batch is still being written (commit one batch per round, in order)');
  assert(batch.baseCommitSeq === commitSeq, 'commit: the batch was staged before another batch was committed');
  for (const g of batch.groups.values()) assert(!g.log.dropped, () => `commit: group ${g.log.group} was dropped`);
  return batch;
}
