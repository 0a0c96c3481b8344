/**
 * Peer frames written and read by hand: exactly the msgpack bytes msgpackr gives the frame's
 * positional arrays (peer-frame.ts), so the wire format is msgpackr's and msgpackr stays the
 * reference and the fallback. msgpackr needed the arrays built first (an array per message and per
 * entry), then walked them generically: ~10 µs to pack and ~6.5 µs to unpack a frame of 20
 * 190-byte entries in a loop, and 6-8 % of a node's main-thread CPU under puts (perf, 2026-12-06).
 * Here a size pass and a write pass go over one exactly sized array, and the reader builds the
 * messages straight from the bytes.
 *
 * The writer takes only frames whose numbers are what Raft sends (safe integers >= 0; a leader
 * sync's age any finite number >= 0); the reader only bytes in the forms this writer (and msgpackr)
 * produce. Anything else returns undefined, and peer-frame.ts uses msgpackr, which packs anything
 * and says what is wrong with a frame it refuses.
 */
import type { ConfState, Entry, Message, MessageType, Snapshot } from '@ringkv/raft';
import type { NodeId } from '@ringkv/stdx';
import { carveBytes } from '@ringkv/stdx';
import { MsgpackReader, arrayHeaderSizeBytes, binSizeBytes, numberSizeBytes, uintSizeBytes, writeArrayHeader, writeBin, writeNumber, writeUint } from '@ringkv/storage';
import { isCount } from './codec';
import type { GroupMessage, PeerFrameContent, SnapshotChunk } from './peer-frame';

/** Message types by their code on the wire. */
export const MESSAGE_TYPES: readonly MessageType[] = [
  'MsgHup',
  'MsgBeat',
  'MsgProp',
  'MsgApp',
  'MsgAppResp',
  'MsgVote',
  'MsgVoteResp',
  'MsgPreVote',
  'MsgPreVoteResp',
  'MsgSnap',
  'MsgHeartbeat',
  'MsgHeartbeatResp',
  'MsgTransferLeader',
  'MsgTimeoutNow',
  'MsgReadIndex',
  'MsgReadIndexResp',
  'MsgSnapStatus',
  'MsgUnreachable',
  'MsgCheckQuorum',
];
export const MESSAGE_TYPE_CODE: ReadonlyMap<MessageType, number> = new Map(MESSAGE_TYPES.map((t, i) => [t, i]));

const NIL = 0xc0;
const FALSE = 0xc2;
const TRUE = 0xc3;

// ---- size pass: the encoded size, or -Infinity when a number or a message type is not one the writer takes ----

function countBytes(n: number): number {
  return isCount(n) ? uintSizeBytes(n) : -Infinity;
}

function binBytes(b: Uint8Array): number {
  return binSizeBytes(b.length);
}

function idsBytes(ids: readonly number[]): number {
  let size = arrayHeaderSizeBytes(ids.length);
  for (const id of ids) size += countBytes(id);
  return size;
}

function messageBytes(m: Message): number {
  let size =
    1 +
    (MESSAGE_TYPE_CODE.has(m.type) ? 1 : -Infinity) +
    countBytes(m.from) +
    countBytes(m.to) +
    countBytes(m.term) +
    countBytes(m.logTerm) +
    countBytes(m.index) +
    arrayHeaderSizeBytes(m.entries.length) +
    countBytes(m.commit) +
    1 +
    countBytes(m.rejectHint) +
    (m.context === undefined ? 1 : binBytes(m.context));
  for (const e of m.entries) size += 1 + countBytes(e.term) + countBytes(e.index) + 1 + binBytes(e.data);
  const snap = m.snapshot;
  if (snap === undefined) size += 1;
  else {
    const c = snap.metadata.confState;
    size += 1 + countBytes(snap.metadata.index) + countBytes(snap.metadata.term) + 1 + idsBytes(c.voters) + idsBytes(c.learners) + idsBytes(c.votersOutgoing) + idsBytes(c.learnersNext) + 1 + binBytes(snap.data);
  }
  return size;
}

function frameBytes(content: PeerFrameContent): number {
  let size = 1 + 1 + arrayHeaderSizeBytes(content.messages.length) + arrayHeaderSizeBytes(content.chunks.length);
  for (const gm of content.messages) {
    size += 1 + countBytes(gm.group) + messageBytes(gm.message);
    if (gm.sync !== undefined) size += countBytes(gm.sync.commit) + (gm.sync.ageMs >= 0 && gm.sync.ageMs !== Infinity ? numberSizeBytes(gm.sync.ageMs) : -Infinity);
  }
  for (const c of content.chunks) {
    size += 1 + countBytes(c.group) + countBytes(c.transferId) + countBytes(c.seq) + countBytes(c.total) + binBytes(c.data) + (c.message === undefined ? 1 : messageBytes(c.message));
  }
  return size;
}

// ---- write pass ----

class Writer {
  pos = 0;
  constructor(readonly out: Uint8Array) {}

  byte(b: number): void {
    this.out[this.pos++] = b;
  }

  uint(n: number): void {
    this.pos = writeUint(this.out, this.pos, n);
  }

  array(length: number): void {
    this.pos = writeArrayHeader(this.out, this.pos, length);
  }

  bin(b: Uint8Array): void {
    this.pos = writeBin(this.out, this.pos, b);
  }

  ids(ids: readonly number[]): void {
    this.array(ids.length);
    for (const id of ids) this.uint(id);
  }

  /** `m`, whose type the size pass found in MESSAGE_TYPE_CODE. */
  message(m: Message): void {
    this.byte(0x90 | 12);
    this.uint(MESSAGE_TYPE_CODE.get(m.type)!);
    this.uint(m.from);
    this.uint(m.to);
    this.uint(m.term);
    this.uint(m.logTerm);
    this.uint(m.index);
    this.array(m.entries.length);
    for (const e of m.entries) {
      this.byte(0x90 | 4);
      this.uint(e.term);
      this.uint(e.index);
      this.byte(e.type === 'normal' ? 0 : 1);
      this.bin(e.data);
    }
    this.uint(m.commit);
    this.byte(m.reject ? 1 : 0);
    this.uint(m.rejectHint);
    const snap = m.snapshot;
    if (snap === undefined) this.byte(NIL);
    else {
      const c = snap.metadata.confState;
      this.byte(0x90 | 4);
      this.uint(snap.metadata.index);
      this.uint(snap.metadata.term);
      this.byte(0x90 | 5);
      this.ids(c.voters);
      this.ids(c.learners);
      this.ids(c.votersOutgoing);
      this.ids(c.learnersNext);
      this.byte(c.autoLeave ? TRUE : FALSE);
      this.bin(snap.data);
    }
    if (m.context === undefined) this.byte(NIL);
    else this.bin(m.context);
  }
}

/** The frame's bytes, as msgpackr packs its positional form; undefined if it holds a number Raft never sends. */
export function writePeerFrame(content: PeerFrameContent): Uint8Array | undefined {
  const size = frameBytes(content);
  if (!(size >= 0)) return undefined;
  // Carved (stdx) when small (heartbeats, acknowledgements): a frame lives until its socket write.
  const w = new Writer(carveBytes(size));
  w.byte(0x90 | 3);
  w.byte(1);
  w.array(content.messages.length);
  for (const gm of content.messages) {
    w.byte(0x90 | (gm.sync === undefined ? 2 : 4));
    w.uint(gm.group);
    w.message(gm.message);
    if (gm.sync !== undefined) {
      w.uint(gm.sync.commit);
      w.pos = writeNumber(w.out, w.pos, gm.sync.ageMs);
    }
  }
  w.array(content.chunks.length);
  for (const c of content.chunks) {
    w.byte(0x90 | 6);
    w.uint(c.group);
    w.uint(c.transferId);
    w.uint(c.seq);
    w.uint(c.total);
    w.bin(c.data);
    if (c.message === undefined) w.byte(NIL);
    else w.message(c.message);
  }
  if (w.pos !== size) throw new Error(`peer frame: wrote ${w.pos} bytes of the ${size} computed`);
  return w.out;
}

// ---- reader ----

/** Thrown inside the reader on anything it does not take; readPeerFrame turns it into undefined. */
const NOT_MINE = new Error('not a frame the hand reader takes');

class Reader {
  private readonly r: MsgpackReader;
  constructor(bytes: Uint8Array) {
    this.r = new MsgpackReader(bytes, 0);
  }

  get atEnd(): boolean {
    return this.r.atEnd;
  }

  count(): number {
    const n = this.r.uint();
    if (n < 0) throw NOT_MINE;
    return n;
  }

  array(length: number): void {
    if (this.r.arrayLength() !== length) throw NOT_MINE;
  }

  arrayLength(): number {
    const n = this.r.arrayLength();
    if (n < 0) throw NOT_MINE;
    return n;
  }

  /** 0 or 1. */
  bit(): number {
    const b = this.r.byte();
    if (b !== 0 && b !== 1) throw NOT_MINE;
    return b;
  }

  bin(): Uint8Array {
    const view = this.r.view(this.r.binLength());
    if (view === undefined) throw NOT_MINE;
    return view;
  }

  nil(): boolean {
    return this.r.nil();
  }

  number(): number {
    const n = this.r.number();
    if (n < 0) throw NOT_MINE;
    return n;
  }

  ids(): NodeId[] {
    const n = this.arrayLength();
    const out: NodeId[] = [];
    for (let i = 0; i < n; i++) out.push(this.count() as NodeId);
    return out;
  }

  entry(): Entry {
    this.array(4);
    const term = this.count();
    const index = this.count();
    const type = this.bit() === 0 ? 'normal' : 'confChange';
    return { term, index, type, data: this.bin() };
  }

  conf(): ConfState {
    this.array(5);
    const voters = this.ids();
    const learners = this.ids();
    const votersOutgoing = this.ids();
    const learnersNext = this.ids();
    const b = this.r.byte();
    if (b !== TRUE && b !== FALSE) throw NOT_MINE;
    return { voters, learners, votersOutgoing, learnersNext, autoLeave: b === TRUE };
  }

  message(): Message {
    this.array(12);
    const type = MESSAGE_TYPES[this.count()];
    if (type === undefined) throw NOT_MINE;
    const from = this.count() as NodeId;
    const to = this.count() as NodeId;
    const term = this.count();
    const logTerm = this.count();
    const index = this.count();
    const n = this.arrayLength();
    const entries: Entry[] = [];
    for (let i = 0; i < n; i++) entries.push(this.entry());
    const commit = this.count();
    const reject = this.bit() === 1;
    const rejectHint = this.count();
    let snapshot: Snapshot | undefined;
    if (!this.nil()) {
      this.array(4);
      const snapIndex = this.count();
      const snapTerm = this.count();
      const confState = this.conf();
      snapshot = { metadata: { index: snapIndex, term: snapTerm, confState }, data: this.bin() };
    }
    const context = this.nil() ? undefined : this.bin();
    return {
      type,
      from,
      to,
      term,
      logTerm,
      index,
      entries,
      commit,
      reject,
      rejectHint,
      // Both keys always (undefined when absent), as Raft's own messages: one object shape.
      snapshot,
      context,
    };
  }
}

/** The frame, if `bytes` hold it in the forms writePeerFrame writes; else undefined (msgpackr decides). */
export function readPeerFrame(bytes: Uint8Array): PeerFrameContent | undefined {
  const r = new Reader(bytes);
  try {
    r.array(3);
    if (r.count() !== 1) return undefined;
    const n = r.arrayLength();
    const messages: GroupMessage[] = [];
    for (let i = 0; i < n; i++) {
      const fields = r.arrayLength();
      if (fields !== 2 && fields !== 4) return undefined;
      const group = r.count();
      const message = r.message();
      messages.push(fields === 2 ? { group, message } : { group, message, sync: { commit: r.count(), ageMs: r.number() } });
    }
    const m = r.arrayLength();
    const chunks: SnapshotChunk[] = [];
    for (let i = 0; i < m; i++) {
      r.array(6);
      const group = r.count();
      const transferId = r.count();
      const seq = r.count();
      const total = r.count();
      const data = r.bin();
      chunks.push(r.nil() ? { group, transferId, seq, total, data } : { group, transferId, seq, total, data, message: r.message() });
    }
    return r.atEnd ? { messages, chunks } : undefined;
  } catch (error) {
    if (error === NOT_MINE) return undefined;
    throw error;
  }
}
