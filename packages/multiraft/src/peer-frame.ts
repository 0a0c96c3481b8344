/**
 * One frame carries everything a node sends one peer in one round: the Raft messages of every
 * group (heartbeats of all partitions travel together, which is what keeps idle partitions cheap)
 * and snapshot chunks. Messages are packed as positional arrays: field names would dominate the
 * size of a heartbeat.
 */
import type { ConfState, Entry, Message, MessageType, Snapshot } from '@ringkv/raft';
import type { NodeId } from '@ringkv/stdx';
import { asBytes, pack, unpack } from './codec';
import type { LeaderSync } from './replica-freshness';

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

const TYPES: readonly MessageType[] = [
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
const TYPE_CODE = new Map(TYPES.map((t, i) => [t, i]));

type PackedEntry = [number, number, number, Uint8Array];
type PackedConf = [number[], number[], number[], number[], boolean];

function packEntry(e: Entry): PackedEntry {
  return [e.term, e.index, e.type === 'normal' ? 0 : 1, e.data];
}

function unpackEntry(p: PackedEntry): Entry {
  return { term: p[0], index: p[1], type: p[2] === 0 ? 'normal' : 'confChange', data: asBytes(p[3]) };
}

function packConf(c: ConfState): PackedConf {
  return [[...c.voters], [...c.learners], [...c.votersOutgoing], [...c.learnersNext], c.autoLeave];
}

function unpackConf(p: PackedConf): ConfState {
  return { voters: p[0] as NodeId[], learners: p[1] as NodeId[], votersOutgoing: p[2] as NodeId[], learnersNext: p[3] as NodeId[], autoLeave: p[4] };
}

function packMessage(m: Message): unknown[] {
  const out: unknown[] = [
    TYPE_CODE.get(m.type),
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

function unpackMessage(p: unknown[]): Message {
  const type = TYPES[p[0] as number];
  if (type === undefined) throw new TypeError(`unknown message type code ${String(p[0])}`);
  const snap = p[10] as [number, number, PackedConf, Uint8Array] | null;
  const snapshot: Snapshot | undefined =
    snap === null ? undefined : { metadata: { index: snap[0], term: snap[1], confState: unpackConf(snap[2]) }, data: asBytes(snap[3]) };
  const message: Message = {
    type,
    from: p[1] as NodeId,
    to: p[2] as NodeId,
    term: p[3] as number,
    logTerm: p[4] as number,
    index: p[5] as number,
    entries: (p[6] as PackedEntry[]).map(unpackEntry),
    commit: p[7] as number,
    reject: p[8] === 1,
    rejectHint: p[9] as number,
    ...(snapshot === undefined ? {} : { snapshot }),
    ...(p[11] === null ? {} : { context: asBytes(p[11]) }),
  };
  return message;
}

export function encodePeerFrame(content: PeerFrameContent): Uint8Array {
  return pack([
    1,
    content.messages.map((gm) =>
      gm.sync === undefined ? [gm.group, packMessage(gm.message)] : [gm.group, packMessage(gm.message), gm.sync.commit, gm.sync.ageMs],
    ),
    content.chunks.map((c) => [c.group, c.transferId, c.seq, c.total, c.data, c.message === undefined ? null : packMessage(c.message)]),
  ]);
}

/** Decodes a frame from a peer; throws a TypeError on anything malformed (the caller drops it). */
export function decodePeerFrame(bytes: Uint8Array): PeerFrameContent {
  const raw = unpack(bytes) as unknown[];
  if (!Array.isArray(raw) || raw[0] !== 1 || !Array.isArray(raw[1]) || !Array.isArray(raw[2])) throw new TypeError('not a RingKV peer frame');
  const messages = (raw[1] as Array<[number, unknown[], unknown?, unknown?]>).map(([group, m, commit, ageMs]): GroupMessage => {
    const message = unpackMessage(m);
    if (commit === undefined) return { group, message };
    if (!Number.isSafeInteger(commit) || (commit as number) < 0 || typeof ageMs !== 'number' || !(ageMs >= 0)) throw new TypeError('malformed leader sync');
    return { group, message, sync: { commit: commit as number, ageMs } };
  });
  const chunks = (raw[2] as Array<[number, number, number, number, Uint8Array, unknown[] | null]>).map(
    ([group, transferId, seq, total, data, m]): SnapshotChunk => ({
      group,
      transferId,
      seq,
      total,
      data: asBytes(data),
      ...(m === null ? {} : { message: unpackMessage(m) }),
    }),
  );
  return { messages, chunks };
}

/** A cheap upper bound of a message's encoded size, for splitting frames. */
export function messageSizeBytes(m: Message): number {
  let size = 64 + (m.context?.length ?? 0) + (m.snapshot?.data.length ?? 0);
  for (const e of m.entries) size += e.data.length + 24;
  return size;
}
