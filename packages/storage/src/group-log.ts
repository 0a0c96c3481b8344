/**
 * One group's persisted Raft log, held in memory since the last compaction point so the Raft
 * core's reads (its LogStorage) are synchronous and never touch disk. It changes only through
 * the engine after a batch is durable (the `applyDurable*` methods); reads see durable state only.
 */
import type { GroupId, NodeId } from '@ringkv/stdx';
import { assert } from '@ringkv/stdx';
import { LogCompactedError, LogUnavailableError } from './errors';
import type { GroupLog, LogEntry, LogHardState, LogSnapshot } from './interfaces';

/** What an entry counts for against `maxSizeBytes` and `sizeBytes`: its payload plus term and index. */
export function logEntrySizeBytes(entry: LogEntry): number {
  return entry.data.length + 16;
}

const EMPTY = new Uint8Array(0);

export const EMPTY_HARD_STATE: LogHardState = { term: 0, vote: 0 as NodeId, commit: 0 };
export const EMPTY_SNAPSHOT_META: LogSnapshot['metadata'] = {
  index: 0,
  term: 0,
  confState: { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
};

export class MemoryGroupLog implements GroupLog {
  private hardState: LogHardState;
  private snapshotMeta: LogSnapshot['metadata'];
  /** entries[i] has index snapshotMeta.index + 1 + i. */
  private log: LogEntry[];
  private entryBytes: number;
  /** Set when the group is dropped: reads then fail loudly instead of serving a dead log. */
  dropped = false;

  constructor(
    readonly group: GroupId,
    hardState: LogHardState,
    snapshotMeta: LogSnapshot['metadata'],
    entries: LogEntry[],
  ) {
    this.hardState = hardState;
    this.snapshotMeta = snapshotMeta;
    this.log = entries;
    this.entryBytes = 0;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      assert(e.index === snapshotMeta.index + 1 + i, () => `group ${group}: entries not contiguous at ${e.index}`);
      this.entryBytes += logEntrySizeBytes(e);
    }
  }

  get sizeBytes(): number {
    return this.entryBytes;
  }

  initialState(): { hardState: LogHardState; confState: LogSnapshot['metadata']['confState'] } {
    this.checkLive();
    return { hardState: this.hardState, confState: this.snapshotMeta.confState };
  }

  storedHardState(): LogHardState {
    this.checkLive();
    return this.hardState;
  }

  firstIndex(): number {
    this.checkLive();
    return this.snapshotMeta.index + 1;
  }

  lastIndex(): number {
    this.checkLive();
    return this.snapshotMeta.index + this.log.length;
  }

  term(index: number): number {
    this.checkLive();
    const snapIndex = this.snapshotMeta.index;
    if (index === snapIndex) return this.snapshotMeta.term;
    if (index < snapIndex) throw new LogCompactedError(this.group, index, snapIndex + 1);
    const entry = this.log[index - snapIndex - 1];
    if (entry === undefined) throw new LogUnavailableError(this.group, index, this.lastIndex());
    return entry.term;
  }

  entries(lo: number, hi: number, maxSizeBytes: number): LogEntry[] {
    this.checkLive();
    const first = this.snapshotMeta.index + 1;
    const last = this.lastIndex();
    assert(lo <= hi, () => `group ${this.group}: entries(${lo}, ${hi}) has lo > hi`);
    if (lo < first) throw new LogCompactedError(this.group, lo, first);
    if (hi > last + 1) throw new LogUnavailableError(this.group, hi - 1, last);
    const out: LogEntry[] = [];
    let total = 0;
    for (let i = lo; i < hi; i++) {
      const entry = this.log[i - first]!;
      total += logEntrySizeBytes(entry);
      // Always at least one entry, so a single oversized entry still makes progress.
      if (out.length > 0 && total > maxSizeBytes) break;
      out.push(entry);
    }
    return out;
  }

  firstWithin(lo: number, last: number, maxSizeBytes: number): number {
    this.checkLive();
    const first = this.snapshotMeta.index + 1;
    assert(lo >= first && last <= this.lastIndex(), () => `group ${this.group}: firstWithin(${lo}, ${last}) outside [${first}, ${this.lastIndex()}]`);
    let i = last + 1;
    for (let bytes = 0; i > lo; i--) {
      bytes += logEntrySizeBytes(this.log[i - 1 - first]!);
      if (bytes > maxSizeBytes) break;
    }
    return i;
  }

  snapshot(): LogSnapshot {
    this.checkLive();
    return { metadata: this.snapshotMeta, data: EMPTY };
  }

  // ---- changes, made by the engine only once the batch holding them is durable ----

  applyDurableAppend(entries: readonly LogEntry[]): void {
    const first = this.snapshotMeta.index + 1;
    const from = entries[0]!.index;
    assert(from >= first && from <= this.lastIndex() + 1, () => `group ${this.group}: durable append at ${from} outside [${first}, ${this.lastIndex() + 1}]`);
    const keep = from - first;
    for (let i = keep; i < this.log.length; i++) this.entryBytes -= logEntrySizeBytes(this.log[i]!);
    this.log.length = keep;
    for (const e of entries) {
      this.log.push(e);
      this.entryBytes += logEntrySizeBytes(e);
    }
  }

  applyDurableHardState(hardState: LogHardState): void {
    this.hardState = hardState;
  }

  applyDurableCompact(meta: LogSnapshot['metadata']): void {
    const drop = meta.index - this.snapshotMeta.index;
    assert(drop > 0 && drop <= this.log.length, () => `group ${this.group}: durable compaction to ${meta.index} outside the log`);
    for (let i = 0; i < drop; i++) this.entryBytes -= logEntrySizeBytes(this.log[i]!);
    this.log.splice(0, drop);
    this.snapshotMeta = meta;
  }

  applyDurableSnapshot(meta: LogSnapshot['metadata']): void {
    this.log = [];
    this.entryBytes = 0;
    this.snapshotMeta = meta;
  }

  private checkLive(): void {
    // The message only on failure: a closure per call here was garbage on every term() the core asks.
    if (this.dropped) assert(false, `group ${this.group}: its log was dropped`);
  }
}
