/**
 * The Raft core's data types: what goes in (messages, proposals) and what comes out (Ready).
 * Shaped like etcd's raftpb. Plain data only, so the caller can encode them however it likes
 * (the node uses msgpackr) and the simulator can copy them through a codec.
 *
 * These types are the contract between packages/raft and its callers (packages/multiraft,
 * packages/sim, the tests). Change them only together with their callers.
 */
import type { NodeId } from '@ringkv/stdx';

export type EntryType = 'normal' | 'confChange';

export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  /** Application bytes; empty for the no-op a new leader appends. For confChange, encodeConfChange(). */
  readonly data: Uint8Array;
}

/** What must be durable before a vote or an append is acknowledged. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

/** The membership as of some log index. Joint consensus shows as a non-empty votersOutgoing. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  /** Voters of the outgoing configuration while joint; empty otherwise. */
  readonly votersOutgoing: readonly NodeId[];
  /** Voters that become learners when the joint configuration is left. */
  readonly learnersNext: readonly NodeId[];
  /** Leave the joint configuration automatically once it is committed. */
  readonly autoLeave: boolean;
}

export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  /** Opaque application state; the store decides what it holds and how it is chunked on the wire. */
  readonly data: Uint8Array;
}

export type ConfChangeType = 'addNode' | 'addLearner' | 'removeNode';

export interface ConfChangeSingle {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
}

/**
 * A membership change (etcd's ConfChangeV2). One change with transition 'auto' is applied
 * directly when safe; several changes go through a joint configuration.
 * 'implicit' leaves the joint configuration automatically; 'explicit' waits for an empty
 * ConfChange to leave it.
 */
export interface ConfChange {
  readonly transition: 'auto' | 'implicit' | 'explicit';
  readonly changes: readonly ConfChangeSingle[];
  /** Application context carried along (e.g. the new node's address). */
  readonly context?: Uint8Array;
}

export type MessageType =
  | 'MsgHup' // local: start an election
  | 'MsgBeat' // local: leader sends heartbeats
  | 'MsgProp' // proposal (local, or forwarded by a follower)
  | 'MsgApp'
  | 'MsgAppResp'
  | 'MsgVote'
  | 'MsgVoteResp'
  | 'MsgPreVote'
  | 'MsgPreVoteResp'
  | 'MsgSnap'
  | 'MsgHeartbeat'
  | 'MsgHeartbeatResp'
  | 'MsgTransferLeader'
  | 'MsgTimeoutNow'
  | 'MsgReadIndex'
  | 'MsgReadIndexResp'
  | 'MsgSnapStatus' // local: the caller reports whether sending a snapshot succeeded
  | 'MsgUnreachable' // local: the caller reports that a peer could not be reached
  | 'MsgCheckQuorum'; // local: the leader checks it heard from a quorum

export interface Message {
  readonly type: MessageType;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  /** MsgApp: term of the entry at `index`. Votes: term of the candidate's last entry. */
  readonly logTerm: number;
  /** MsgApp: index preceding `entries`. Votes: candidate's last index. Responses: see raft.ts. */
  readonly index: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
  readonly reject: boolean;
  /** On a rejected MsgAppResp: the follower's hint for where the logs may match. */
  readonly rejectHint: number;
  readonly snapshot?: Snapshot;
  /** ReadIndex request context, heartbeat context, or campaign-transfer marker. */
  readonly context?: Uint8Array;
}

export type StateRole = 'follower' | 'preCandidate' | 'candidate' | 'leader';

export interface SoftState {
  readonly leader: NodeId;
  readonly role: StateRole;
}

/** A confirmed read: once applied >= index, the read with this context may be served locally. */
export interface ReadState {
  readonly index: number;
  readonly context: Uint8Array;
}

/**
 * What the caller must do, in this order (the module doc of rawnode.ts repeats it):
 * 1. persist `hardState`, `entries` (appending, truncating any conflicting suffix) and `snapshot`
 *    durably (fsync);
 * 2. send `messages` (these may also be sent before step 1) and then `messagesAfterPersist`
 *    (these must NOT leave before step 1 is durable: votes and append acknowledgements);
 * 3. apply `snapshot` then `committedEntries` to the state machine;
 * 4. call `advance()`.
 */
/** Every Ready has every field (one object shape); the parts that did not change are undefined. */
export interface Ready {
  readonly softState: SoftState | undefined;
  readonly hardState: HardState | undefined;
  readonly readStates: readonly ReadState[];
  readonly entries: readonly Entry[];
  readonly snapshot: Snapshot | undefined;
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly messagesAfterPersist: readonly Message[];
  /** True if the caller must fsync before sending messagesAfterPersist. */
  readonly mustSync: boolean;
}

/**
 * The log as the caller has persisted it, read synchronously by the core (etcd's Storage).
 * The node's implementation keeps the log since the last snapshot in memory, so every call is
 * cheap and synchronous.
 */
export interface LogStorage {
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries in [lo, hi), at least one if any, stopping before the total passes maxSizeBytes. */
  entries(lo: number, hi: number, maxSizeBytes: number): Entry[];
  /** Term of the entry at index; throws CompactedError below firstIndex-1, UnavailableError above lastIndex. */
  term(index: number): number;
  /** Index of the first entry still in the log (snapshot index + 1). */
  firstIndex(): number;
  lastIndex(): number;
  /** The latest snapshot; throws SnapshotTemporarilyUnavailableError if it is being made. */
  snapshot(): Snapshot;
}

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export interface ProgressStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly isLearner: boolean;
  readonly recentActive: boolean;
  readonly inflight: number;
  readonly pendingSnapshot: number;
}

export interface Status {
  readonly id: NodeId;
  readonly role: StateRole;
  readonly term: number;
  readonly vote: NodeId;
  readonly leader: NodeId;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly confState: ConfState;
  readonly leadTransferee: NodeId;
  /** Only on the leader: each peer's replication progress. */
  readonly progress: ReadonlyMap<NodeId, ProgressStatus>;
}
