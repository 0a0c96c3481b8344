/** Small builders shared by the unit tests. */
import { nodeId, Prng, type NodeId } from '@ringkv/stdx';
import type { ConfState, Entry, LogStorage, Message, MessageType, RaftConfig, Snapshot } from '../src/index';

export const ids = (...xs: number[]): NodeId[] => xs.map((x) => nodeId(x));

export function ent(index: number, term: number, data = ''): Entry {
  return { index, term, type: 'normal', data: new TextEncoder().encode(data) };
}

export function ents(...pairs: [index: number, term: number][]): Entry[] {
  return pairs.map(([i, t]) => ent(i, t));
}

export function confState(voters: number[], learners: number[] = []): ConfState {
  return { voters: ids(...voters), learners: ids(...learners), votersOutgoing: [], learnersNext: [], autoLeave: false };
}

/** An empty-data snapshot at (index, term) of a group of these voters. */
export function snapshotAt(index: number, term: number, voters: number[] = [1, 2, 3]): Snapshot {
  return { metadata: { index, term, confState: confState(voters) }, data: new Uint8Array(0) };
}

/** The unit tests' Raft configuration: 10 election ticks, 1 heartbeat tick, no pre-vote or check-quorum. */
export function raftConfig(id: number, storage: LogStorage, extra: Partial<RaftConfig> = {}): RaftConfig {
  return {
    id: nodeId(id),
    storage,
    prng: new Prng(id),
    electionTick: 10,
    heartbeatTick: 1,
    maxSizePerMsgBytes: 1 << 20,
    maxInflightMsgs: 16,
    maxUncommittedEntriesSizeBytes: 1 << 20,
    preVote: false,
    checkQuorum: false,
    ...extra,
  };
}

/** A message with every field not given at its zero value. */
export function msg(type: MessageType, from: number, to: number, term: number, rest: Partial<Message> = {}): Message {
  return { type, from: nodeId(from), to: nodeId(to), term, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, ...rest };
}
