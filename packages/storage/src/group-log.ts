/**
 * One group's persisted Raft log, held in memory since the last compaction point so the Raft
 * core's reads (its LogStorage) are synchronous and never touch disk. It changes only through
 * the engine after a batch is durable (the `applyDurable*` methods); reads see durable state only.
 *
 * Held in columns, not as the entries it was given: terms, types and where each entry's bytes
 * are in typed arrays, the bytes copied into shared chunks, all off the JavaScript heap (a chunk
 * goes once no kept entry is in it).
 * `entries()` makes the entry objects a reader asks for; they die young with the message or the
 * apply that wanted them. Kept as given, a log held two objects per entry (the entry and a view
 * of its bytes) for seconds to minutes, and a follower's entries were views of the peer frame
 * they came in, so one entry kept its whole frame alive until compaction: `sizeBytes` (what
 * `--log-memory-mb` bounds) counted the entries' bytes, not the frames they pinned. A node's heap
 * under 128-byte puts, in snapshots: 70.5k entry objects (3.95 MB) and 1.84 byte views per
 * kept entry before, none and 1.25 after (the rest are watch events' keys); array-buffer memory
 * 30.5 MB before, 17.5 MB after. The columns were JavaScript arrays at first, and their
 * growing backing stores were promoted in turn: as typed arrays, promoted bytes per put per node
 * 0.81/0.80/0.90 KB against 0.97/0.92/0.98 (--trace-gc-nvp, 10 s of 128-byte puts, same minutes).
 */
import type { GroupId, NodeId } from '@ringkv/stdx';
import { assert } from '@ringkv/stdx';
import { LogCompactedError, LogUnavailableError } from './errors';
import type { GroupLog, LogEntry, LogHardState, LogSnapshot } from './interfaces';

/** What an entry counts for against `maxSizeBytes` and `sizeBytes`: its payload plus term and index. */
const ENTRY_OVERHEAD_BYTES = 16;

export function logEntrySizeBytes(entry: LogEntry): number {
  return entry.data.length + ENTRY_OVERHEAD_BYTES;
}

const EMPTY = new Uint8Array(0);

export const EMPTY_HARD_STATE: LogHardState = { term: 0, vote: 0 as NodeId, commit: 0 };
export const EMPTY_SNAPSHOT_META: LogSnapshot['metadata'] = {
  index: 0,
  term: 0,
  confState: { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
};

/**
 * Entries' bytes are copied into shared chunks, each twice the size of the group's previous one
 * from 4 KiB up to 256 KiB (an idle group holds a small one); data of 64 KiB or more gets a chunk
 * of its own.
 */
const CHUNK_FIRST_BYTES = 4 * 1024;
const CHUNK_MAX_BYTES = 256 * 1024;
const OWN_CHUNK_FROM_BYTES = 64 * 1024;

const TYPE_NORMAL = 0;
const TYPE_CONF_CHANGE = 1;

/** Slots of a log's first columns; they double as the log grows. */
const COLUMN_FIRST_SLOTS = 64;

export class MemoryGroupLog implements GroupLog {
  private hardState: LogHardState;
  private snapshotMeta: LogSnapshot['metadata'];
  // Entry snapshotMeta.index + 1 + i is at slot start + i of each column (typed arrays: their
  // memory is off the heap, so a growing log gives the GC nothing to copy).
  private start = 0;
  private count = 0;
  private terms = new Float64Array(0);
  private types = new Uint8Array(0);
  private chunkIds = new Int32Array(0);
  private offsets = new Int32Array(0);
  private lengths = new Int32Array(0);
  /**
   * Chunk id n is chunks[n - firstChunkId], with the number of kept entries in it at the same
   * place of `chunkEntries`: a chunk no kept entry is in is let go (but the tail).
   */
  private chunks: Uint8Array[] = [];
  private chunkEntries: number[] = [];
  private firstChunkId = 0;
  /** The chunk small entries are copied into (never let go while it is), and where its free space starts. */
  private tailId = -1;
  private tailUsed = 0;
  private nextChunkBytes = CHUNK_FIRST_BYTES;
  private entryBytes = 0;
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
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      assert(e.index === snapshotMeta.index + 1 + i, () => `group ${group}: entries not contiguous at ${e.index}`);
      this.push(e);
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
    return this.snapshotMeta.index + this.count;
  }

  term(index: number): number {
    this.checkLive();
    const snapIndex = this.snapshotMeta.index;
    if (index === snapIndex) return this.snapshotMeta.term;
    if (index < snapIndex) throw new LogCompactedError(this.group, index, snapIndex + 1);
    const at = index - snapIndex - 1;
    if (at >= this.count) throw new LogUnavailableError(this.group, index, this.lastIndex());
    return this.terms[this.start + at]!;
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
      const at = this.start + i - first;
      const length = this.lengths[at]!;
      total += length + ENTRY_OVERHEAD_BYTES;
      // Always at least one entry, so a single oversized entry still makes progress.
      if (out.length > 0 && total > maxSizeBytes) break;
      const offset = this.offsets[at]!;
      out.push({
        term: this.terms[at]!,
        index: i,
        type: this.types[at] === TYPE_CONF_CHANGE ? 'confChange' : 'normal',
        data: this.chunks[this.chunkIds[at]! - this.firstChunkId]!.subarray(offset, offset + length),
      });
    }
    return out;
  }

  firstWithin(lo: number, last: number, maxSizeBytes: number): number {
    this.checkLive();
    const first = this.snapshotMeta.index + 1;
    assert(lo >= first && last <= this.lastIndex(), () => `group ${this.group}: firstWithin(${lo}, ${last}) outside [${first}, ${this.lastIndex()}]`);
    let i = last + 1;
    for (let bytes = 0; i > lo; i--) {
      bytes += this.lengths[this.start + i - 1 - first]! + ENTRY_OVERHEAD_BYTES;
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
    this.truncateTo(from - first);
    for (const e of entries) this.push(e);
  }

  applyDurableHardState(hardState: LogHardState): void {
    this.hardState = hardState;
  }

  applyDurableCompact(meta: LogSnapshot['metadata']): void {
    const drop = meta.index - this.snapshotMeta.index;
    assert(drop > 0 && drop <= this.count, () => `group ${this.group}: durable compaction to ${meta.index} outside the log`);
    for (let i = 0; i < drop; i++) this.forget(this.start + i);
    this.start += drop;
    this.count -= drop;
    this.snapshotMeta = meta;
    this.trimChunks();
  }

  applyDurableSnapshot(meta: LogSnapshot['metadata']): void {
    this.truncateTo(0);
    this.snapshotMeta = meta;
  }

  /** Appends one entry after the last: its bytes are copied into a chunk, so `e` is not kept. */
  private push(e: LogEntry): void {
    const data = e.data;
    const length = data.length;
    let chunkId: number;
    let offset: number;
    if (length >= OWN_CHUNK_FROM_BYTES) {
      chunkId = this.addChunk(data.slice());
      offset = 0;
    } else {
      let tail = this.tailId < 0 ? EMPTY : this.chunks[this.tailId - this.firstChunkId]!;
      if (this.tailId < 0 || this.tailUsed + length > tail.length) {
        const previous = this.tailId;
        tail = new Uint8Array(Math.max(this.nextChunkBytes, length));
        this.tailId = this.addChunk(tail);
        if (previous >= 0) this.releaseIfUnused(previous);
        this.tailUsed = 0;
        this.nextChunkBytes = Math.min(CHUNK_MAX_BYTES, this.nextChunkBytes * 2);
      }
      chunkId = this.tailId;
      offset = this.tailUsed;
      tail.set(data, offset);
      this.tailUsed += length;
    }
    if (this.start + this.count === this.terms.length) this.makeRoom();
    const at = this.start + this.count;
    this.terms[at] = e.term;
    this.types[at] = e.type === 'confChange' ? TYPE_CONF_CHANGE : TYPE_NORMAL;
    this.chunkIds[at] = chunkId;
    this.offsets[at] = offset;
    this.lengths[at] = length;
    this.chunkEntries[chunkId - this.firstChunkId]!++;
    this.count++;
    this.entryBytes += length + ENTRY_OVERHEAD_BYTES;
  }

  private addChunk(chunk: Uint8Array): number {
    this.chunks.push(chunk);
    this.chunkEntries.push(0);
    return this.firstChunkId + this.chunks.length - 1;
  }

  /** The entry at `slot` is no longer kept: its chunk goes when no kept entry is in it. */
  private forget(slot: number): void {
    this.entryBytes -= this.lengths[slot]! + ENTRY_OVERHEAD_BYTES;
    const id = this.chunkIds[slot]!;
    this.chunkEntries[id - this.firstChunkId]!--;
    this.releaseIfUnused(id);
  }

  private releaseIfUnused(id: number): void {
    const at = id - this.firstChunkId;
    if (this.chunkEntries[at] === 0 && id !== this.tailId) this.chunks[at] = EMPTY;
  }

  /** Drops the released chunks at the front of the list. */
  private trimChunks(): void {
    let release = 0;
    while (release < this.chunks.length && this.chunkEntries[release] === 0 && this.firstChunkId + release !== this.tailId) release++;
    if (release === 0) return;
    this.chunks.splice(0, release);
    this.chunkEntries.splice(0, release);
    this.firstChunkId += release;
  }

  /** Room for one more slot at the end: the kept slots moved to the front, into larger columns if half full. */
  private makeRoom(): void {
    const grow = this.count * 2 >= this.terms.length;
    const from = this.start;
    const to = from + this.count;
    const moved = <T extends Float64Array | Int32Array | Uint8Array>(column: T, Column: new (length: number) => T): T => {
      if (!grow) {
        column.copyWithin(0, from, to);
        return column;
      }
      const out = new Column(Math.max(COLUMN_FIRST_SLOTS, column.length * 2));
      out.set(column.subarray(from, to));
      return out;
    };
    this.terms = moved(this.terms, Float64Array);
    this.types = moved(this.types, Uint8Array);
    this.chunkIds = moved(this.chunkIds, Int32Array);
    this.offsets = moved(this.offsets, Int32Array);
    this.lengths = moved(this.lengths, Int32Array);
    this.start = 0;
  }

  /** Keeps the first `keep` entries. (Bytes of dropped entries stay in their chunk until it is let go.) */
  private truncateTo(keep: number): void {
    for (let i = keep; i < this.count; i++) this.forget(this.start + i);
    this.count = keep;
    this.trimChunks();
  }

  private checkLive(): void {
    // The message only on failure: a closure per call here was garbage on every term() the core asks.
    if (this.dropped) assert(false, `group ${this.group}: its log was dropped`);
  }
}
