/**
 * One partition replica on this node: its Raft node and log, and the callers waiting on it.
 * The Store's round loop is the only code that touches `raft` (between ready() and advance()
 * nothing else may, but for RawNode.stepNow and readIndexNow, made for that), so API calls only
 * queue work here.
 */
import type { ConfState, RawNode, StateRole } from '@ringkv/raft';
import type { GroupId, NodeId } from '@ringkv/stdx';
import { NO_NODE } from '@ringkv/stdx';
import type { GroupLog } from '@ringkv/storage';
import { ExpiryIndex } from './expiry-index';
import type { Answer } from './commands';
import type { QueuedProposal, ReadWaiter, WriteWaiter } from './waiters';

export class Group {
  leader: NodeId = NO_NODE;
  role: StateRole = 'follower';
  /** The highest index whose effects are in the KV engine (durably written by write()). */
  kvApplied: number;
  confState: ConfState;
  readonly expiry = new ExpiryIndex();
  /** Proposals to make at the start of the next round. */
  queuedProposals: QueuedProposal[] = [];
  /** Proposed, waiting for their index to apply. */
  readonly proposals = new Map<number, WriteWaiter>();
  /** Client writes proposed here and not answered yet, by session id: a retry of one (same seq,
   *  sent again after the client's attempt timed out) waits for its answer instead of going
   *  through Raft a second time. At most one per session (a session has one write in flight). */
  readonly writesBySession = new Map<string, { readonly seq: number; readonly answer: Promise<Answer> }>();
  /** Reads to confirm in the next round, by mode. */
  queuedReads: { safe: ReadWaiter[]; lease: ReadWaiter[] } = { safe: [], lease: [] };
  /** ReadIndex requests in flight, by their context id. */
  readonly readsInFlight = new Map<number, ReadWaiter[]>();
  /** Confirmed reads waiting for kvApplied to reach their index (those confirmed between rounds
   *  may come before a round's own: releaseReads looks at every one). */
  readsAwaitingApply: Array<{ index: number; reads: ReadWaiter[] }> = [];
  /** Wall time (log time basis) of the last session sweep proposed by this replica as leader. */
  lastSessionSweepMs = 0;
  /** When this replica last applied a client write (local wall time; starts at open, as sessions may exist). */
  lastWriteWallMs: number;
  /** A leadership transfer to the preferred leader is in progress since this time. */
  transferStartedMs = -Infinity;

  constructor(
    readonly partition: number,
    readonly id: GroupId,
    readonly raft: RawNode,
    readonly log: GroupLog,
    readonly replicas: readonly NodeId[],
    readonly preferredLeader: NodeId,
    kvApplied: number,
    confState: ConfState,
    openedWallMs: number,
  ) {
    this.kvApplied = kvApplied;
    this.confState = confState;
    this.lastWriteWallMs = openedWallMs;
  }

  get isLeader(): boolean {
    return this.role === 'leader';
  }

  get waitingCount(): number {
    return this.proposals.size + this.queuedProposals.length;
  }
}
