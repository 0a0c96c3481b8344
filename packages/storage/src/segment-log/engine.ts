/**
 * The Raft log engine in segment files of its own (etcd's WAL, TiKV's raft-engine), instead of
 * LevelDB: a round's changes to every group are one record appended to the current segment with
 * one write and one fdatasync. Log entries die young (a group compacts its log every few thousand
 * entries), and in LevelDB each was flushed from the memtable and rewritten by compactions two or
 * three times before its deletion met it; here a segment is deleted whole once nothing in it is
 * live.
 *
 * Segments are numbered files `<seq>.seg`. Each starts with a record holding every group's hard
 * state and compaction point (CHECKPOINT), so only entries can keep an older segment needed. The
 * engine tracks, per segment, the highest index each group appended in it; a segment is dead
 * once every such index is below its group's compaction point. When the current segment passes
 * `segmentBytes`, a new one starts; groups still live in the oldest segment are rewritten whole
 * into the new one's first record when that is cheap (cold groups that never compact), and every
 * dead prefix of segments is deleted. The first record names the oldest segment still needed, so
 * an open after a crash in the middle of deletions knows what to ignore.
 *
 * The current segment is kept zero-filled and synced a few MiB ahead of its records
 * (`preallocateBytes`, never past `segmentBytes`), in the background while the records stay well
 * below the zeros, so a record's fdatasync changes neither the file's size nor its blocks (files.ts
 * has the measurements). A segment left behind by a rotation is cut to its records first, so only
 * the newest one ends in zeros.
 *
 * Open replays the needed segments in order. A record that fails its checksum or is cut short in
 * the newest segment is the torn tail of a write that was never acknowledged (its fdatasync had
 * not returned): its bytes are zeroed, and the zeros after the records are where the log goes on.
 * In any older segment (synced whole before the next one started) it is corruption, reported as
 * CorruptionError.
 */
import type { GroupId } from '@ringkv/stdx';
import { assert } from '@ringkv/stdx';
import { CorruptionError } from '../errors';
import { EMPTY_HARD_STATE, EMPTY_SNAPSHOT_META, MemoryGroupLog, logEntrySizeBytes } from '../group-log';
import type { GroupLog, LogCommitOptions, LogEntry, LogHardState, LogSnapshot, LogWriteBatch, RaftLogEngine } from '../interfaces';
import { StagedLogBatch, sealForCommit } from '../log-batch';
import { RecordWriter, intactRecordAfter, lastNonZeroByte, readStart, scanRecord, visitRecord } from './codec';
import { Replay } from './replay';
import type { SegmentDirectory, SegmentFile } from './files';
import { DiskSegmentDirectory } from './files';

type Meta = LogSnapshot['metadata'];

export interface SegmentLogOptions {
  /** A new segment starts once the current one holds this many bytes (default 64 MiB). */
  readonly segmentBytes?: number;
  /** Segments kept before the groups pinning the oldest are rewritten whatever it costs (default 16). */
  readonly segmentsMax?: number;
  /**
   * Zeros kept written and synced ahead of the current segment's records (default 4 MiB, 0 =
   * none), never past `segmentBytes`; refilled in the background once less than half is left.
   */
  readonly preallocateBytes?: number;
  /** Told once, when preallocating fails (the log goes on without it): a node logs it. */
  readonly onPreallocationFailed?: (why: string) => void;
}

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_PREALLOCATE_BYTES = 4 * 1024 * 1024;
const DEFAULT_SEGMENTS_MAX = 16;
const SEGMENT_NAME = /^(\d{16})\.seg$/;

export function segmentName(seq: number): string {
  return `${String(seq).padStart(16, '0')}.seg`;
}

export interface SegmentLogStats {
  readonly commits: number;
  readonly segments: number;
  readonly currentSegment: number;
  /** Bytes of live entries rewritten into a new segment's first record since open. */
  readonly bytesRewritten: number;
  /** Zeros written ahead of the records since open. */
  readonly bytesPreallocated: number;
  /** Why preallocating failed, if it did (the log then goes on without it). */
  readonly preallocationError: string | undefined;
}

export class SegmentRaftLogEngine implements RaftLogEngine {
  private readonly logs = new Map<GroupId, MemoryGroupLog>();
  /** Groups with state on disk (written at least once, not dropped). */
  private readonly stored = new Set<GroupId>();
  /** Per retained segment (ascending), each group's highest index appended in it. */
  private readonly pins = new Map<number, Map<GroupId, number>>();
  private readonly writer = new RecordWriter();
  private readonly segmentBytes: number;
  private readonly segmentsMax: number;
  /** 0 once preallocating failed. */
  private preallocateBytes: number;
  private file: SegmentFile;
  private seq: number;
  /** Where the current segment's records end (the next one is written here). */
  private size: number;
  /** Up to here the current segment holds records or synced zeros: a record ending below needs no wait. */
  private zeroedEnd: number;
  /** The current segment file's length, or more (a failed preallocation may have written part of its zeros). */
  private fileLength: number;
  /** Zeros being written and synced from `fileLength` on: records stay below `zeroedEnd` until they land. */
  private filling: Promise<void> | undefined;
  private bytesPreallocated = 0;
  private preallocationError: string | undefined;
  private readonly onPreallocationFailed: ((why: string) => void) | undefined;
  /** Bytes written to the current segment since its last sync (a commit with sync: false). */
  private unsynced = false;
  private commitSeq = 0;
  private inFlight = false;
  private closed = false;
  private bytesRewritten = 0;
  /** Set when a write or sync failed: what reached the disk is unknown, so nothing more is written
   *  (as etcd's WAL panics on a failed fsync); the node must restart and replay. */
  private failure: Error | undefined;

  private constructor(
    private readonly dir: SegmentDirectory,
    state: { seq: number; size: number; fileLength: number; file: SegmentFile; replay: Replay },
    options: SegmentLogOptions,
  ) {
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.segmentsMax = options.segmentsMax ?? DEFAULT_SEGMENTS_MAX;
    this.preallocateBytes = options.preallocateBytes ?? DEFAULT_PREALLOCATE_BYTES;
    assert(Number.isSafeInteger(this.preallocateBytes) && this.preallocateBytes >= 0, () => `segment log: preallocateBytes must be a whole number of bytes, not ${this.preallocateBytes}`);
    this.onPreallocationFailed = options.onPreallocationFailed;
    assert(this.segmentsMax >= 2, 'segment log: segmentsMax must be at least 2');
    this.seq = state.seq;
    this.size = state.size;
    this.zeroedEnd = state.fileLength;
    this.fileLength = state.fileLength;
    this.file = state.file;
    for (const [seq, m] of [...state.replay.pins].sort((a, b) => a[0] - b[0])) this.pins.set(seq, m);
    if (!this.pins.has(this.seq)) this.pins.set(this.seq, new Map());
    for (const log of state.replay.logs()) {
      this.logs.set(log.group, log);
      this.stored.add(log.group);
    }
  }

  /** Opens (or creates) the log in `dir`, replaying every segment still needed. */
  static async open(dir: SegmentDirectory, options: SegmentLogOptions = {}): Promise<SegmentRaftLogEngine> {
    const seqs: number[] = [];
    for (const name of dir.list()) {
      const m = SEGMENT_NAME.exec(name);
      if (m !== null) seqs.push(Number(m[1]));
    }
    seqs.sort((a, b) => a - b);

    // The newest segment whose first record is intact decides what is needed. A newest segment
    // without one was being created when the process died: nothing in it was acknowledged.
    let newest: { seq: number; bytes: Uint8Array; oldestNeeded: number } | undefined;
    while (seqs.length > 0 && newest === undefined) {
      const seq = seqs[seqs.length - 1]!;
      const bytes = await dir.readAll(segmentName(seq));
      const first = scanRecord(bytes, 0, seq);
      const start = first.kind === 'record' ? readStart(first.payload) : undefined;
      if (start !== undefined) {
        if (start.seq !== seq) throw new CorruptionError(`segment ${segmentName(seq)} says it is segment ${start.seq}`, {});
        newest = { seq, bytes, oldestNeeded: start.oldestNeeded };
      } else {
        if (first.kind === 'record' || intactRecordAfter(bytes, 0, seq)) {
          throw new CorruptionError(`segment ${segmentName(seq)} does not start with an intact start record, but holds intact records (damage, not a torn creation)`, {});
        }
        await dir.remove(segmentName(seq));
        seqs.pop();
      }
    }
    if (newest === undefined) {
      const w = new RecordWriter(64);
      w.segmentStart(1, 1);
      const file = await createSegment(dir, 1, w);
      const engine = new SegmentRaftLogEngine(dir, { seq: 1, size: w.length, fileLength: w.length, file, replay: new Replay() }, options);
      await engine.zeroNewSegment();
      return engine;
    }

    const replay = new Replay();
    for (const seq of seqs) {
      if (seq < newest.oldestNeeded) await dir.remove(segmentName(seq));
    }
    const needed = seqs.filter((s) => s >= newest.oldestNeeded);
    for (let i = 0; i < needed.length; i++) {
      if (needed[i] !== newest.oldestNeeded + i) throw new CorruptionError(`segment ${segmentName(newest.oldestNeeded + i)} is missing`, {});
    }
    let size = 0;
    for (const seq of needed) {
      const isNewest = seq === newest.seq;
      const bytes = isNewest ? newest.bytes : await dir.readAll(segmentName(seq));
      replay.seq = seq;
      let offset = 0;
      for (;;) {
        const scan = scanRecord(bytes, offset, seq);
        if (scan.kind === 'end') {
          if (offset !== bytes.length && (!isNewest || intactRecordAfter(bytes, offset, seq))) {
            throw new CorruptionError(`segment ${segmentName(seq)} at byte ${offset}: ${scan.why}, with intact records after it (damage, not a torn write)`, {});
          }
          break;
        }
        if (offset === 0 && readStart(scan.payload)?.seq !== seq) throw new CorruptionError(`segment ${segmentName(seq)} does not start with its own start record`, {});
        visitRecord(scan.payload, replay);
        offset = scan.end;
      }
      size = offset;
    }
    const file = dir.open(segmentName(newest.seq));
    // A torn record's bytes are zeroed, so the records written here next never end in a piece of
    // it; the zeros after them, if any, were preallocated.
    const tornEnd = lastNonZeroByte(newest.bytes, size) + 1;
    if (tornEnd > size) file.writeAt(new Uint8Array(tornEnd - size), tornEnd - size, size);
    // What was replayed is acted on (votes, entries acknowledged again): it must be durable, also
    // when the last process died before syncing it and the machine did not.
    await file.sync();
    return new SegmentRaftLogEngine(dir, { seq: newest.seq, size, fileLength: newest.bytes.length, file, replay }, options);
  }

  openGroup(group: GroupId): Promise<GroupLog> {
    this.checkOpen();
    let log = this.logs.get(group);
    if (log === undefined) {
      log = new MemoryGroupLog(group, EMPTY_HARD_STATE, EMPTY_SNAPSHOT_META, []);
      this.logs.set(group, log);
    }
    return Promise.resolve(log);
  }

  listGroups(): Promise<GroupId[]> {
    this.checkOpen();
    return Promise.resolve([...this.stored].sort((a, b) => a - b));
  }

  newBatch(): LogWriteBatch {
    this.checkOpen();
    return new StagedLogBatch(this, this.commitSeq, (log): log is MemoryGroupLog => log instanceof MemoryGroupLog && this.logs.get(log.group) === log, false);
  }

  async commit(batch: LogWriteBatch, options?: LogCommitOptions): Promise<void> {
    this.checkOpen();
    const staged = sealForCommit(batch, this, this.commitSeq, this.inFlight);
    if (staged === undefined) return;
    const w = this.writer;
    w.clear();
    for (const [group, g] of staged.groups) for (const change of g.changes) w.change(group, change);
    await this.writeRecord(options?.sync ?? true);
    this.commitSeq++;
    staged.applyDurable();
    const pins = this.pins.get(this.seq)!;
    for (const [group, g] of staged.groups) {
      this.stored.add(group);
      for (const change of g.changes) {
        if (change.kind !== 'append') continue;
        const last = change.entries[change.entries.length - 1]!.index;
        if ((pins.get(group) ?? 0) < last) pins.set(group, last);
      }
    }
    if (this.size >= this.segmentBytes) await this.exclusive(() => this.rotate());
  }

  async dropGroup(group: GroupId): Promise<void> {
    this.checkOpen();
    assert(!this.inFlight, 'dropGroup: a log batch or another drop is being written');
    if (this.stored.has(group)) {
      this.writer.clear();
      this.writer.drop(group);
      await this.writeRecord(true);
      this.stored.delete(group);
      for (const m of this.pins.values()) m.delete(group);
    }
    this.commitSeq++;
    const log = this.logs.get(group);
    this.logs.delete(group);
    if (log !== undefined) log.dropped = true;
  }

  /**
   * Writes a group's whole state (from another engine: a migration), synced. The group must have
   * nothing stored here yet.
   */
  async importGroup(group: GroupId, hs: LogHardState, meta: Meta, entries: readonly LogEntry[]): Promise<void> {
    this.checkOpen();
    assert(!this.stored.has(group) && (this.logs.get(group)?.lastIndex() ?? 0) === 0, () => `importGroup: group ${group} already has a log here`);
    assert(!this.inFlight, 'importGroup: a log batch is being written');
    this.writer.clear();
    this.writer.resetGroup(group, hs, meta);
    this.writer.append(group, entries);
    await this.writeRecord(true);
    this.commitSeq++;
    const opened = this.logs.get(group);
    if (opened !== undefined) opened.dropped = true;
    this.logs.set(group, new MemoryGroupLog(group, hs, meta, entries.slice()));
    this.stored.add(group);
    if (entries.length > 0) this.pins.get(this.seq)!.set(group, entries[entries.length - 1]!.index);
  }

  stats(): SegmentLogStats {
    return {
      commits: this.commitSeq,
      segments: this.pins.size,
      currentSegment: this.seq,
      bytesRewritten: this.bytesRewritten,
      bytesPreallocated: this.bytesPreallocated,
      preallocationError: this.preallocationError,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.filling;
      if (this.unsynced && this.failure === undefined) await this.file.sync();
    } finally {
      this.file.close();
    }
  }

  /** Appends the writer's record to the current segment, synced unless told not to. */
  private async writeRecord(sync: boolean): Promise<void> {
    const w = this.writer;
    w.seal(this.seq);
    await this.exclusive(async () => {
      const end = this.size + w.length;
      // Never into zeros still being written (the refill starts with megabytes to spare: only a
      // record larger than those waits).
      if (this.filling !== undefined && end > this.zeroedEnd) await this.filling;
      this.file.writeAt(w.bytes, w.length, this.size);
      // Past the end only once written: a failed write leaves the next one at the same place.
      this.size = end;
      if (end > this.fileLength) this.fileLength = end;
      if (sync) await this.file.sync();
      this.unsynced = !sync;
      this.preallocateAhead();
    });
  }

  /** Starts writing zeros ahead of the records once less than half of `preallocateBytes` is left. */
  private preallocateAhead(): void {
    if (this.filling !== undefined || this.zeroedEnd - this.size >= this.preallocateBytes / 2) return;
    this.fillZeros(this.size + this.preallocateBytes);
  }

  /**
   * A new segment starts with a quarter of `preallocateBytes` of zeros, which the round that
   * rotates waits for; the rest is refilled in the background from its first commit on.
   */
  private async zeroNewSegment(): Promise<void> {
    this.fillZeros(this.size + Math.ceil(this.preallocateBytes / 4));
    await this.filling;
  }

  /** Writes zeros from the file's end up to `to` (never past segmentBytes) and syncs them. */
  private fillZeros(to: number): void {
    const from = this.fileLength;
    const end = Math.min(this.segmentBytes, to);
    if (this.preallocateBytes === 0 || end <= from) return;
    const file = this.file;
    // A failed fill may have written part of its zeros: the file is at most this long.
    this.fileLength = end;
    this.filling = file.preallocate(from, end).then(
      () => {
        this.filling = undefined;
        if (this.file !== file) return;
        this.zeroedEnd = end;
        this.bytesPreallocated += end - from;
      },
      (err: unknown) => {
        this.filling = undefined;
        this.preallocationFailed(err);
      },
    );
  }

  /** Records are the log's job; zeros ahead of them only speed it up: the log goes on without. */
  private preallocationFailed(err: unknown): void {
    this.preallocateBytes = 0;
    if (this.preallocationError !== undefined) return;
    this.preallocationError = err instanceof Error ? err.message : String(err);
    this.onPreallocationFailed?.(this.preallocationError);
  }

  /** Runs one write at a time; a failure poisons the engine (see `failure`). */
  private async exclusive(run: () => Promise<void>): Promise<void> {
    this.checkHealthy();
    this.inFlight = true;
    try {
      await run();
    } catch (err) {
      this.failure ??= err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      this.inFlight = false;
    }
  }

  /** Whether the entry at `index` of `group` is still in its log (not compacted or dropped). */
  private live(group: GroupId, index: number): boolean {
    const log = this.logs.get(group);
    return log !== undefined && this.stored.has(group) && index >= log.firstIndex();
  }

  private liveBytes(group: GroupId): number {
    return this.logs.get(group)?.sizeBytes ?? 0;
  }

  /** Starts segment seq + 1: every group's state in its first record, then deletes dead segments. */
  private async rotate(): Promise<void> {
    await this.filling;
    // Only the newest segment may end in zeros: an older one must end at its last record, or open
    // would take the zeros for damage. (Zeros are never written past segmentBytes, so only a
    // smaller segmentBytes than the last process had, or a failed preallocation, leaves any.)
    if (this.fileLength > this.size) {
      this.file.truncate(this.size);
      this.fileLength = this.size;
      this.unsynced = true;
    }
    if (this.unsynced) {
      await this.file.sync();
      this.unsynced = false;
    }
    const next = this.seq + 1;
    const retained = [...this.pins.keys()];
    // Groups still live in the oldest segment are rewritten when that is cheap, or in any case
    // once too many segments are kept; otherwise their compactions will free it.
    const rewrite = new Set<GroupId>();
    const oldest = retained[0]!;
    if (oldest !== this.seq) {
      const pinning = [...this.pins.get(oldest)!].filter(([g, index]) => this.live(g, index)).map(([g]) => g);
      const cost = pinning.reduce((sum, g) => sum + this.liveBytes(g), 0);
      if (cost <= this.segmentBytes / 4 || retained.length + 1 > this.segmentsMax) for (const g of pinning) rewrite.add(g);
    }
    let oldestNeeded = next;
    for (const seq of retained) {
      const needed = [...this.pins.get(seq)!].some(([g, index]) => !rewrite.has(g) && this.live(g, index));
      if (needed) {
        oldestNeeded = seq;
        break;
      }
    }
    await this.startSegment(next, oldestNeeded, rewrite);
    for (const seq of retained) {
      if (seq >= oldestNeeded) break;
      this.pins.delete(seq);
      await this.dir.remove(segmentName(seq));
    }
  }

  private async startSegment(seq: number, oldestNeeded: number, rewrite: ReadonlySet<GroupId>): Promise<void> {
    const w = this.writer;
    w.clear();
    w.segmentStart(seq, oldestNeeded);
    const pins = new Map<GroupId, number>();
    let rewritten = 0;
    for (const group of this.stored) {
      const log = this.logs.get(group)!;
      const meta = log.snapshot().metadata;
      if (rewrite.has(group)) {
        w.resetGroup(group, log.storedHardState(), meta);
        const last = log.lastIndex();
        if (last >= log.firstIndex()) {
          const entries = log.entries(log.firstIndex(), last + 1, Number.MAX_SAFE_INTEGER);
          w.append(group, entries);
          for (const e of entries) rewritten += logEntrySizeBytes(e);
          pins.set(group, last);
        }
      } else {
        w.checkpoint(group, log.storedHardState(), meta);
      }
    }
    const file = await createSegment(this.dir, seq, w);
    // From here on, the new segment is where the log continues.
    for (const group of rewrite) for (const m of this.pins.values()) m.delete(group);
    this.file.close();
    this.file = file;
    this.seq = seq;
    this.size = w.length;
    this.zeroedEnd = w.length;
    this.fileLength = w.length;
    await this.zeroNewSegment();
    this.bytesRewritten += rewritten;
    this.pins.set(seq, pins);
    w.clear();
  }

  private checkOpen(): void {
    assert(!this.closed, 'the log engine is closed');
  }

  private checkHealthy(): void {
    if (this.failure !== undefined) {
      throw new Error(`the Raft log could not be written (${this.failure.message}); nothing more is written until the node restarts and replays its log`);
    }
  }
}

/**
 * Creates segment `seq` holding the writer's record (its first, with the segment start), synced
 * with its directory entry; a failed creation leaves no file behind.
 */
async function createSegment(dir: SegmentDirectory, seq: number, w: RecordWriter): Promise<SegmentFile> {
  w.seal(seq);
  const file = dir.create(segmentName(seq));
  try {
    file.writeAt(w.bytes, w.length, 0);
    await file.sync();
    await dir.syncDirectory();
  } catch (err) {
    file.close();
    await dir.remove(segmentName(seq)).catch(() => undefined);
    throw err;
  }
  return file;
}

export type OpenSegmentLogOptions = SegmentLogOptions & ({ readonly path: string } | { readonly directory: SegmentDirectory });

/** Opens the segment log engine on a directory on disk, or on a given (e.g. in-memory) one. */
export function openSegmentLogEngine(options: OpenSegmentLogOptions): Promise<SegmentRaftLogEngine> {
  const dir = 'path' in options ? new DiskSegmentDirectory(options.path) : options.directory;
  return SegmentRaftLogEngine.open(dir, options);
}

