/**
 * The segment log's on-disk form. A segment is a sequence of records; each record is one commit
 * (a round's changes to every group) and is written with one write:
 *
 *   record:  length:u32le  crc:u32le  payload[length]
 *
 * The CRC32C covers the payload and is seeded with the segment's number, so bytes of another
 * segment (or a file's zeroed tail) never pass for a record of this one. The payload is a list of
 * operations, each starting with its tag; numbers that may pass 2^32 (indexes, terms) are
 * float64 (exact to 2^53, which Raft indexes never reach):
 *
 *   SEGMENT_START seq:f64 oldestNeeded:f64          first op of a segment's first record
 *   CHECKPOINT    group:u32 hardState meta          a group's hard state and compaction point
 *   APPEND        group:u32 from:f64 count:u32 (term:f64 type:u8 length:u32 data)*
 *   HARD_STATE    group:u32 hardState
 *   COMPACT       group:u32 meta                    entries up to meta.index dropped
 *   SNAPSHOT      group:u32 meta                    the log restarts after meta.index
 *   RESET         group:u32 hardState meta          the group's whole state (entries follow as APPEND)
 *   DROP          group:u32                         the group is gone
 *
 *   hardState: term:f64 vote:f64 commit:f64;  meta: length:u32 + log-codec's snapshot metadata record
 */
import { crc32c } from '@node-rs/crc32';
import type { GroupId, NodeId } from '@ringkv/stdx';
import { groupId } from '@ringkv/stdx';
import { CorruptionError } from '../errors';
import type { LogEntry, LogHardState, LogSnapshot } from '../interfaces';
import type { GroupChange } from '../log-batch';
import { decodeSnapshotMeta, encodeSnapshotMeta } from '../log-codec';

export const RECORD_HEADER_SIZE_BYTES = 8;
/** No record is larger: a length past it is a torn or foreign header, not a record. */
export const RECORD_SIZE_BYTES_MAX = 1 << 30;

export const Op = {
  SegmentStart: 1,
  Checkpoint: 2,
  Append: 3,
  HardState: 4,
  Compact: 5,
  Snapshot: 6,
  Reset: 7,
  Drop: 8,
} as const;
type OpCode = (typeof Op)[keyof typeof Op];

type Meta = LogSnapshot['metadata'];

export function recordSeed(seq: number): number {
  return Math.imul(seq % 0x100000000, 0x9e3779b1) >>> 0;
}

/** Builds one record in a reusable buffer: ops are added, then `seal` writes the header. */
export class RecordWriter {
  private buf: Buffer;
  private pos = RECORD_HEADER_SIZE_BYTES;

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get bytes(): Buffer {
    return this.buf;
  }

  get length(): number {
    return this.pos;
  }

  segmentStart(seq: number, oldestNeeded: number): void {
    this.room(17);
    this.u8(Op.SegmentStart);
    this.f64(seq);
    this.f64(oldestNeeded);
  }

  checkpoint(group: GroupId, hs: LogHardState, meta: Meta): void {
    this.groupOp(Op.Checkpoint, group);
    this.hardState(hs);
    this.meta(group, meta);
  }

  resetGroup(group: GroupId, hs: LogHardState, meta: Meta): void {
    this.groupOp(Op.Reset, group);
    this.hardState(hs);
    this.meta(group, meta);
  }

  append(group: GroupId, entries: readonly LogEntry[]): void {
    if (entries.length === 0) return;
    this.groupOp(Op.Append, group);
    this.room(12);
    this.f64(entries[0]!.index);
    this.u32(entries.length);
    for (const e of entries) {
      this.room(13 + e.data.length);
      this.f64(e.term);
      this.u8(e.type === 'normal' ? 0 : 1);
      this.u32(e.data.length);
      this.buf.set(e.data, this.pos);
      this.pos += e.data.length;
    }
  }

  /** One staged change of a group (a commit's record holds its batch's changes in order). */
  change(group: GroupId, change: GroupChange): void {
    switch (change.kind) {
      case 'append':
        return this.append(group, change.entries);
      case 'hardState':
        return this.setHardState(group, change.hardState);
      case 'compact':
        return this.compact(group, change.meta);
      case 'snapshot':
        return this.snapshot(group, change.meta);
    }
  }

  setHardState(group: GroupId, hs: LogHardState): void {
    this.groupOp(Op.HardState, group);
    this.hardState(hs);
  }

  compact(group: GroupId, meta: Meta): void {
    this.groupOp(Op.Compact, group);
    this.meta(group, meta);
  }

  snapshot(group: GroupId, meta: Meta): void {
    this.groupOp(Op.Snapshot, group);
    this.meta(group, meta);
  }

  drop(group: GroupId): void {
    this.groupOp(Op.Drop, group);
  }

  /** Writes the header for the segment `seq`; the record is bytes[0, length). */
  seal(seq: number): void {
    const payload = this.pos - RECORD_HEADER_SIZE_BYTES;
    if (payload > RECORD_SIZE_BYTES_MAX) throw new RangeError(`a log record of ${payload} bytes is over the ${RECORD_SIZE_BYTES_MAX}-byte limit`);
    this.buf.writeUInt32LE(payload, 0);
    this.buf.writeUInt32LE(crc32c(this.buf.subarray(RECORD_HEADER_SIZE_BYTES, this.pos), recordSeed(seq)), 4);
  }

  /** Starts the next record. */
  clear(): void {
    this.pos = RECORD_HEADER_SIZE_BYTES;
    // A record far larger than usual (a rotation's rewrite) must not keep its buffer forever.
    if (this.buf.length > 16 * 1024 * 1024) this.buf = Buffer.allocUnsafe(64 * 1024);
  }

  private groupOp(op: OpCode, group: GroupId): void {
    this.room(5);
    this.u8(op);
    this.u32(group);
  }

  private hardState(hs: LogHardState): void {
    this.room(24);
    this.f64(hs.term);
    this.f64(hs.vote);
    this.f64(hs.commit);
  }

  private meta(group: GroupId, meta: Meta): void {
    const record = encodeSnapshotMeta(group, meta);
    this.room(4 + record.length);
    this.u32(record.length);
    this.buf.set(record, this.pos);
    this.pos += record.length;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.pos + n, this.buf.length * 2));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  private u8(v: number): void {
    this.buf[this.pos++] = v;
  }

  private u32(v: number): void {
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
  }

  private f64(v: number): void {
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }
}

/** What a record's operations do, in order; the engine's replay implements it. */
export interface RecordVisitor {
  segmentStart(seq: number, oldestNeeded: number): void;
  checkpoint(group: GroupId, hs: LogHardState, meta: Meta): void;
  reset(group: GroupId, hs: LogHardState, meta: Meta): void;
  append(group: GroupId, entries: LogEntry[]): void;
  hardState(group: GroupId, hs: LogHardState): void;
  compact(group: GroupId, meta: Meta): void;
  snapshot(group: GroupId, meta: Meta): void;
  drop(group: GroupId): void;
}

export type RecordScan =
  | { readonly kind: 'record'; readonly payload: Uint8Array; readonly end: number }
  /** No intact record starts at this offset: the end of what was written (or a torn write). */
  | { readonly kind: 'end'; readonly why: string };

/** The record at `offset` of segment `seq`, if an intact one starts there. */
export function scanRecord(segment: Uint8Array, offset: number, seq: number): RecordScan {
  if (offset === segment.length) return { kind: 'end', why: 'end of file' };
  if (segment.length - offset < RECORD_HEADER_SIZE_BYTES) return { kind: 'end', why: `a partial record header of ${segment.length - offset} bytes` };
  const view = Buffer.from(segment.buffer, segment.byteOffset, segment.byteLength);
  const length = view.readUInt32LE(offset);
  if (length === 0 || length > RECORD_SIZE_BYTES_MAX) return { kind: 'end', why: `a record length of ${length}` };
  const end = offset + RECORD_HEADER_SIZE_BYTES + length;
  if (end > segment.length) return { kind: 'end', why: `a record of ${length} bytes cut at ${segment.length - offset - RECORD_HEADER_SIZE_BYTES}` };
  const payload = segment.subarray(offset + RECORD_HEADER_SIZE_BYTES, end);
  if (crc32c(payload, recordSeed(seq)) !== view.readUInt32LE(offset + 4)) return { kind: 'end', why: 'a record checksum mismatch' };
  return { kind: 'record', payload, end };
}

/**
 * Replays one intact record's operations. Entry data is copied out, so the segment's buffer is
 * not kept alive by the log. A payload that passed its checksum but does not parse is corruption
 * (or a bug): it throws CorruptionError.
 */
export function visitRecord(payload: Uint8Array, visitor: RecordVisitor): void {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  let pos = 0;
  const need = (n: number, what: string): void => {
    if (pos + n > buf.length) throw new CorruptionError(`segment log record ends inside ${what}`, {});
  };
  const u32 = (): number => {
    const v = buf.readUInt32LE(pos);
    pos += 4;
    return v;
  };
  const f64 = (what: string): number => {
    const v = buf.readDoubleLE(pos);
    pos += 8;
    if (!Number.isSafeInteger(v) || v < 0) throw new CorruptionError(`segment log record has a malformed ${what}: ${v}`, {});
    return v;
  };
  const hardState = (): LogHardState => {
    need(24, 'a hard state');
    return { term: f64('term'), vote: f64('vote') as NodeId, commit: f64('commit') };
  };
  const meta = (group: GroupId): Meta => {
    need(4, 'a compaction point');
    const length = u32();
    need(length, 'a compaction point');
    const m = decodeSnapshotMeta(group, buf.subarray(pos, pos + length));
    pos += length;
    return m;
  };
  while (pos < buf.length) {
    const op = buf[pos++]!;
    if (op === Op.SegmentStart) {
      need(16, 'a segment start');
      visitor.segmentStart(f64('segment number'), f64('oldest segment needed'));
      continue;
    }
    need(4, 'a group id');
    const group = groupId(u32());
    switch (op) {
      case Op.Checkpoint:
        visitor.checkpoint(group, hardState(), meta(group));
        break;
      case Op.Reset:
        visitor.reset(group, hardState(), meta(group));
        break;
      case Op.Append: {
        need(12, 'an append');
        const from = f64('index');
        const count = u32();
        const entries: LogEntry[] = [];
        for (let i = 0; i < count; i++) {
          need(13, 'an entry header');
          const term = f64('term');
          const type = buf[pos++]!;
          if (type !== 0 && type !== 1) throw new CorruptionError(`unknown entry type ${type}`, { group, index: from + i });
          const length = u32();
          need(length, 'an entry');
          entries.push({ index: from + i, term, type: type === 0 ? 'normal' : 'confChange', data: Uint8Array.prototype.slice.call(buf, pos, pos + length) });
          pos += length;
        }
        visitor.append(group, entries);
        break;
      }
      case Op.HardState:
        visitor.hardState(group, hardState());
        break;
      case Op.Compact:
        visitor.compact(group, meta(group));
        break;
      case Op.Snapshot:
        visitor.snapshot(group, meta(group));
        break;
      case Op.Drop:
        visitor.drop(group);
        break;
      default:
        throw new CorruptionError(`unknown segment log operation ${op}`, { group });
    }
  }
}

/**
 * Whether an intact record of segment `seq` starts anywhere after `offset`. A torn write is the
 * end of what was written: nothing intact follows it. A record that fails its checksum with intact
 * records after it was damaged on disk. (A damaged last record reads as a torn one and is cut, as
 * LevelDB's log reader drops it.)
 */
export function intactRecordAfter(bytes: Uint8Array, offset: number, seq: number): boolean {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // A record's length is not 0, so it starts at or before the last byte that is not 0: the
  // preallocated zeros after the records (megabytes of them) need no look.
  const last = lastNonZeroByte(bytes, offset + 1);
  for (let at = offset + 1; at <= last && at + RECORD_HEADER_SIZE_BYTES < bytes.length; at++) {
    const length = view.readUInt32LE(at);
    // A record's payload starts with an operation tag; cheap filters before the checksum.
    if (length === 0 || at + RECORD_HEADER_SIZE_BYTES + length > bytes.length) continue;
    const tag = bytes[at + RECORD_HEADER_SIZE_BYTES]!;
    if (tag < Op.SegmentStart || tag > Op.Drop) continue;
    if (scanRecord(bytes, at, seq).kind === 'record') return true;
  }
  return false;
}

/** The SEGMENT_START operation a segment's first record begins with, if it does. */
export function readStart(payload: Uint8Array): { seq: number; oldestNeeded: number } | undefined {
  if (payload.length < 17 || payload[0] !== Op.SegmentStart) return undefined;
  const view = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const seq = view.readDoubleLE(1);
  const oldestNeeded = view.readDoubleLE(9);
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(oldestNeeded) || oldestNeeded < 1 || oldestNeeded > seq) return undefined;
  return { seq, oldestNeeded };
}

const ZERO_CHUNK = Buffer.alloc(64 * 1024);

/** The position of the last byte of `bytes` at or after `from` that is not 0; from - 1 if none is. */
export function lastNonZeroByte(bytes: Uint8Array, from = 0): number {
  let end = bytes.length;
  while (end > from) {
    const start = Math.max(from, end - ZERO_CHUNK.length);
    // Compared natively, a chunk at a time: a segment may end in megabytes of preallocated zeros.
    if (Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).equals(ZERO_CHUNK.subarray(0, end - start))) {
      end = start;
      continue;
    }
    for (let i = end - 1; i >= start; i--) if (bytes[i] !== 0) return i;
  }
  return from - 1;
}
