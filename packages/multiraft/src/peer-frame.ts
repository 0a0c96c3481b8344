/**
 * One frame carries everything a node sends one peer in one round: the Raft messages of every
 * group (heartbeats of all partitions travel together, which is what keeps idle partitions cheap)
 * and snapshot chunks. Messages are packed as positional arrays: field names would dominate the
 * size of a heartbeat.
 *
 * Decoding checks every field's type and range, not only the frame's outline: a frame from a peer
 * that passed the handshake is still input, and a term, index or node id of the wrong type would
 * not throw in Raft but compare wrongly there (a string term, a fractional index), so a
 * malformed frame is refused whole (the caller drops it and logs why).
 *
 * msgpackr's packing of the positional arrays below is the format; peer-frame-bytes.ts writes and
 * reads the same bytes by hand for every frame Raft produces, and msgpackr takes over for anything
 * else (and says what is wrong with a frame refused).
 */
import type { ConfState, Entry, Message, Snapshot } from '@ringkv/raft';
import type { NodeId } from '@ringkv/stdx';
import { DecodeError, asBytes, asCount, asList, pack, unpack } from './codec';
import type { LeaderSync } from './replica-freshness';
import { MESSAGE_TYPES, MESSAGE_TYPE_CODE, readPeerFrame, writePeerFrame } from './peer-frame-bytes';

export interface GroupMessage {
  readonly group: number;
  readonly message: Message;
  /** A leader's proof of how fresh its commit index is (appends and heartbeats; replica-freshness.ts). */
  readonly sync?: LeaderSync;
}

/** One piece of a partition export travelling from a leader to a follower behind its log. */
export interface SnapshotChunk {
  readonly group: number;
  /** Unique per sender: chunks of different transfers never mix. */
  readonly transferId: number;
  readonly seq: number;
  readonly total: number;
  readonly data: Uint8Array;
  /** On the last chunk only: the MsgSnap to step once every chunk is imported. */
  readonly message?: Message;
}

export interface PeerFrameContent {
  readonly messages: readonly GroupMessage[];
  readonly chunks: readonly SnapshotChunk[];
}

type PackedEntry = [number, number, number, Uint8Array];
type PackedConf = [number[], number[], number[], number[], boolean];

function packEntry(e: Entry): PackedEntry {
  return [e.term, e.index, e.type === 'normal' ? 0 : 1, e.data];
}

const count = (value: unknown, what: string): number => asCount(value, 0, what);

/** Checks a decoded value is an array of exactly `length` fields. */
function fieldsOf(value: unknown, length: number, what: string): unknown[] {
  const list = asList(value, what);
  if (list.length !== length) throw new DecodeError(`${what} does not have ${length} fields`);
  return list;
}

function unpackEntry(raw: unknown): Entry {
  const p = fieldsOf(raw, 4, 'an entry');
  if (p[2] !== 0 && p[2] !== 1) throw new DecodeError('an entry type is not 0 or 1');
  return { term: count(p[0], 'an entry term'), index: count(p[1], 'an entry index'), type: p[2] === 0 ? 'normal' : 'confChange', data: asBytes(p[3]) };
}

function packConf(c: ConfState): PackedConf {
  return [[...c.voters], [...c.learners], [...c.votersOutgoing], [...c.learnersNext], c.autoLeave];
}

function nodeList(value: unknown, what: string): NodeId[] {
  const list = asList(value, what);
  for (const id of list) count(id, `a node id in ${what}`);
  return list as NodeId[];
}

function unpackConf(raw: unknown): ConfState {
  const p = asList(raw, 'a snapshot conf state');
  if (p.length !== 5 || typeof p[4] !== 'boolean') throw new DecodeError('a snapshot conf state is malformed');
  return { voters: nodeList(p[0], 'voters'), learners: nodeList(p[1], 'learners'), votersOutgoing: nodeList(p[2], 'outgoing voters'), learnersNext: nodeList(p[3], 'next learners'), autoLeave: p[4] };
}

function packMessage(m: Message): unknown[] {
  const out: unknown[] = [
    MESSAGE_TYPE_CODE.get(m.type),
    m.from,
    m.to,
    m.term,
    m.logTerm,
    m.index,
    m.entries.map(packEntry),
    m.commit,
    m.reject ? 1 : 0,
    m.rejectHint,
    m.snapshot === undefined ? null : [m.snapshot.metadata.index, m.snapshot.metadata.term, packConf(m.snapshot.metadata.confState), m.snapshot.data],
    m.context ?? null,
  ];
  return out;
}

function unpackSnapshot(raw: unknown): Snapshot {
  const snap = fieldsOf(raw, 4, 'a snapshot');
  return { metadata: { index: count(snap[0], 'a snapshot index'), term: count(snap[1], 'a snapshot term'), confState: unpackConf(snap[2]) }, data: asBytes(snap[3]) };
}

function unpackMessage(raw: unknown): Message {
  const p = fieldsOf(raw, 12, 'a message');
  const type = typeof p[0] === 'number' ? MESSAGE_TYPES[p[0]] : undefined;
  if (type === undefined) throw new DecodeError(`unknown message type code ${String(p[0])}`);
  if (p[8] !== 0 && p[8] !== 1) throw new DecodeError('a message reject flag is not 0 or 1');
  const message: Message = {
    type,
    from: count(p[1], 'a message sender') as NodeId,
    to: count(p[2], 'a message addressee') as NodeId,
    term: count(p[3], 'a message term'),
    logTerm: count(p[4], 'a message log term'),
    index: count(p[5], 'a message index'),
    entries: asList(p[6], 'a message entry list').map(unpackEntry),
    commit: count(p[7], 'a message commit index'),
    reject: p[8] === 1,
    rejectHint: count(p[9], 'a message reject hint'),
    snapshot: p[10] === null ? undefined : unpackSnapshot(p[10]),
    context: p[11] === null ? undefined : asBytes(p[11]),
  };
  return message;
}

export function encodePeerFrame(content: PeerFrameContent): Uint8Array {
  return writePeerFrame(content) ?? encodePeerFrameByMsgpackr(content);
}

/** Decodes a frame from a peer; throws a TypeError on anything malformed (the caller drops it). */
export function decodePeerFrame(bytes: Uint8Array): PeerFrameContent {
  return readPeerFrame(bytes) ?? decodePeerFrameByMsgpackr(bytes);
}

/** The reference encoding (exported for the tests that hold the hand writer to it). */
export function encodePeerFrameByMsgpackr(content: PeerFrameContent): Uint8Array {
  return pack([
    1,
    content.messages.map((gm) =>
      gm.sync === undefined ? [gm.group, packMessage(gm.message)] : [gm.group, packMessage(gm.message), gm.sync.commit, gm.sync.ageMs],
    ),
    content.chunks.map((c) => [c.group, c.transferId, c.seq, c.total, c.data, c.message === undefined ? null : packMessage(c.message)]),
  ]);
}

/** The reference decoding, with every check spelled out (exported for the tests). */
export function decodePeerFrameByMsgpackr(bytes: Uint8Array): PeerFrameContent {
  const raw = unpack(bytes) as unknown[];
  if (!Array.isArray(raw) || raw.length !== 3 || raw[0] !== 1 || !Array.isArray(raw[1]) || !Array.isArray(raw[2])) throw new DecodeError('not a RingKV peer frame');
  const messages = (raw[1] as unknown[]).map((item): GroupMessage => {
    const gm = asList(item, 'a group message');
    if (gm.length !== 2 && gm.length !== 4) throw new DecodeError('a group message does not have 2 or 4 fields');
    const group = count(gm[0], 'a group id');
    const message = unpackMessage(gm[1]);
    if (gm.length === 2) return { group, message };
    const ageMs = gm[3];
    if (typeof ageMs !== 'number' || !(ageMs >= 0) || ageMs === Infinity) throw new DecodeError('malformed leader sync');
    return { group, message, sync: { commit: count(gm[2], 'a leader sync commit'), ageMs } };
  });
  const chunks = (raw[2] as unknown[]).map((item): SnapshotChunk => {
    const c = fieldsOf(item, 6, 'a snapshot chunk');
    return {
      group: count(c[0], 'a chunk group'),
      transferId: count(c[1], 'a chunk transfer id'),
      seq: count(c[2], 'a chunk sequence number'),
      total: count(c[3], 'a chunk total'),
      data: asBytes(c[4]),
      ...(c[5] === null ? {} : { message: unpackMessage(c[5]) }),
    };
  });
  return { messages, chunks };
}

/** A cheap upper bound of a message's encoded size, for splitting frames. */
export function messageSizeBytes(m: Message): number {
  let size = 64 + (m.context?.length ?? 0) + (m.snapshot?.data.length ?? 0);
  for (const e of m.entries) size += e.data.length + 24;
  return size;
}
