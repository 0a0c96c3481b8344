/**
 * RawNode: the Raft core behind a Ready / advance interface. Every call is synchronous; the node
 * keeps no clock and no timers (time is `tick()`), and draws randomness only from the injected Prng.
 *
 * The caller's duties, in order, for each Ready (`if (node.hasReady()) { const rd = node.ready(); ... }`):
 * 1. Persist `rd.hardState` (if set), `rd.entries` (append, replacing any conflicting suffix) and
 *    `rd.snapshot` (if set) to the LogStorage given in the config; fsync when `rd.mustSync`.
 * 2. Send `rd.messages` (these may leave before step 1 completes), then `rd.messagesAfterPersist`,
 *    which must NOT leave before step 1 is durable: they promise votes and appended entries.
 *    If a snapshot message (MsgSnap) fails to reach its peer, call `reportSnapshot(id, false)`;
 *    when it was installed, `reportSnapshot(id, true)`. An unreachable peer: `reportUnreachable(id)`.
 * 3. Apply `rd.snapshot` (if set), then `rd.committedEntries` in order, then (optionally) what
 *    `moreCommittedEntries(durableIndex)` returns: entries committed since ready(). For a
 *    confChange entry, call `applyConfChange(decodeConfChange(entry.data))` as part of applying
 *    it. Answer the reads in `rd.readStates` once the applied index reaches each one's index.
 * 4. Call `advance()`. Only then may `ready()` be called again.
 * Between `ready()` and `advance()` the caller may keep calling tick/step/propose: what they produce
 * goes into the next Ready (stepNow and readIndexNow hand theirs out at once instead).
 *
 * On restart, build the RawNode over the persisted LogStorage and pass `applied` (the index the
 * state machine reflects, at least the snapshot index).
 */
import { assert, type NodeId } from '@ringkv/stdx';
import { payloadSizeBytes } from './entry-size';
import { isLocalMessage, Raft, type RaftConfig } from './raft';
import { getStatus } from './status';
import type { ConfChange, ConfState, Entry, HardState, Message, ReadState, Ready, SoftState, Status } from './types';

export type { RaftConfig } from './raft';

function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

interface Accepted {
  lastEntry: Entry | undefined;
  snapshotIndex: number | undefined;
  committedLast: number | undefined;
  committedBytes: number;
}

export class RawNode {
  /** The state machine; exposed read-only for tests and status. */
  readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  private accepted: Accepted | undefined = undefined;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoftState = { leader: this.raft.lead, role: this.raft.state };
    this.prevHardState = this.raft.hardState();
  }

  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (pre-vote first if enabled). */
  campaign(): void {
    this.stepLocal('MsgHup');
  }

  propose(data: Uint8Array): { index: number; term: number } {
    return this.raft.propose(data);
  }

  proposeConfChange(cc: ConfChange): { index: number; term: number } {
    return this.raft.proposeConfChange(cc);
  }

  /** Steps a message from a peer. Local-only message types are refused (they come from methods). */
  step(m: Message): void {
    assert(!isLocalMessage(m.type), () => `cannot step local message ${m.type}; use the RawNode method`);
    assert(m.type !== 'MsgProp', 'proposals are not forwarded between nodes; propose on the leader');
    this.raft.step(m);
  }

  transferLeader(to: NodeId): void {
    this.raft.step({ ...this.localMsg('MsgTransferLeader'), from: to });
  }

  readIndex(context: Uint8Array, mode: 'safe' | 'lease' = 'safe'): void {
    this.raft.readIndex(context, mode);
  }

  /**
   * Starts a read on the leader at any time, also between ready() and advance() while the
   * caller's log write is in flight, and returns what it produced: the heartbeat round that
   * confirms it (none when a round is already in flight: the read shares the next one, which its
   * responses start) and the read state when it is answered at once (a valid lease, a single
   * voter). A read that must wait for this leader's first commit is kept and released then, in a
   * later Ready.
   *
   * Returns undefined, having done nothing, on a node that is not the leader or with messages
   * already waiting for the next ready() (the round must not overtake them); the caller then
   * calls readIndex() in its next round as usual. Throws ProposalDroppedError as readIndex() does.
   */
  readIndexNow(context: Uint8Array, mode: 'safe' | 'lease' = 'safe'): { messages: Message[]; readStates: ReadState[] } | undefined {
    if (this.raft.state !== 'leader') return undefined;
    return this.handOut('a read', () => this.raft.readIndex(context, mode));
  }

  /**
   * Steps, at any time (also between ready() and advance() while the caller's log write is in
   * flight), a message of the current term that needs nothing persisted to answer: a heartbeat on
   * the follower of its sender, a heartbeat response or an append response on the leader. Returns
   * what it produced: messages that may leave at once (the heartbeat's response; on the leader,
   * appends, the next heartbeat round, a leadership transfer's MsgTimeoutNow) and read states now
   * confirmed. A commit index this advances is applied through the next Ready, or in the current
   * one through moreCommittedEntries. This is how a ReadIndex confirmation, and a write's commit,
   * get through without waiting for the round behind an fsync.
   *
   * Returns undefined, having stepped nothing, for anything else: another type or term, a role
   * that would not take it, or messages already waiting for the next ready() (the answer must not
   * overtake them). The caller then steps the message in its next round as usual.
   */
  stepNow(m: Message): { messages: Message[]; readStates: ReadState[] } | undefined {
    const r = this.raft;
    if (m.term !== r.term) return undefined;
    const taken = m.type === 'MsgHeartbeat' ? r.state === 'follower' && r.lead === m.from : (m.type === 'MsgHeartbeatResp' || m.type === 'MsgAppResp') && r.state === 'leader';
    if (!taken) return undefined;
    return this.handOut(`a ${m.type}`, () => r.step(m));
  }

  /**
   * stepNow's and readIndexNow's shared part: runs `step` unless messages wait for the next
   * Ready (what it sends must not overtake them), and hands out at once what it produced.
   */
  private handOut(what: string, step: () => void): { messages: Message[]; readStates: ReadState[] } | undefined {
    const r = this.raft;
    if (r.msgs.length > 0 || r.msgsAfterPersist.length > 0) return undefined;
    const readStates = r.readStates.length;
    step();
    assert(r.msgsAfterPersist.length === 0, () => `${what} produced messages that wait for persistence`);
    return { messages: r.msgs.splice(0), readStates: r.readStates.splice(readStates) };
  }

  /**
   * Between ready() and advance(): the entries committed since that Ready was made, past its
   * committedEntries, up to `durableIndex` (the end of the caller's durable log: never an entry
   * it could lose), at most maxNextEntsSizeBytes of them. advance() counts them applied with the
   * Ready's own, so the caller applies them right after rd.committedEntries, in the same pass.
   * A commit learned while the caller's log write was in flight (an append response stepped with
   * stepNow) is thus applied in that round instead of the next. Empty when the Ready installs a
   * snapshot or nothing more is committed.
   */
  moreCommittedEntries(durableIndex: number): Entry[] {
    const acc = this.accepted;
    assert(acc !== undefined, 'moreCommittedEntries() outside ready() and advance()');
    if (acc.snapshotIndex !== undefined) return [];
    const log = this.raft.raftLog;
    const from = Math.max((acc.committedLast ?? log.applied) + 1, log.firstIndex());
    const to = Math.min(log.committed, durableIndex);
    if (to < from) return [];
    const entries = log.slice(from, to + 1, log.maxNextEntsSizeBytes);
    acc.committedLast = entries[entries.length - 1]!.index;
    acc.committedBytes += payloadSizeBytes(entries);
    return entries;
  }

  hasReady(): boolean {
    const r = this.raft;
    r.flushBroadcasts();
    if (r.lead !== this.prevSoftState.leader || r.state !== this.prevSoftState.role) return true;
    if (!hardStateEqual(r.hardState(), this.prevHardState)) return true;
    if (r.raftLog.unstable.snapshot !== undefined) return true;
    if (r.msgs.length > 0 || r.msgsAfterPersist.length > 0) return true;
    if (r.raftLog.unstableEntries().length > 0) return true;
    if (r.readStates.length > 0) return true;
    return this.accepted === undefined && r.raftLog.hasNextCommittedEntries();
  }

  ready(): Ready {
    assert(this.accepted === undefined, 'ready() called again before advance()');
    const r = this.raft;
    r.flushBroadcasts();
    const soft: SoftState = { leader: r.lead, role: r.state };
    const hard = r.hardState();
    const entries = r.raftLog.unstableEntries().slice();
    const snapshot = r.raftLog.unstable.snapshot;
    const committedEntries = r.raftLog.nextCommittedEntries();
    const softChanged = soft.leader !== this.prevSoftState.leader || soft.role !== this.prevSoftState.role;
    const hardChanged = !hardStateEqual(hard, this.prevHardState);
    // One shape for every Ready, absent parts undefined: spreading optional parts in took V8's
    // slow path for object literals, every group's every round (~3 % of a node's main thread).
    const rd: Ready = {
      softState: softChanged ? soft : undefined,
      hardState: hardChanged ? hard : undefined,
      readStates: r.readStates,
      entries,
      snapshot,
      committedEntries,
      messages: r.msgs,
      messagesAfterPersist: r.msgsAfterPersist,
      mustSync: hard.term !== this.prevHardState.term || hard.vote !== this.prevHardState.vote || entries.length > 0 || snapshot !== undefined,
    };
    r.msgs = [];
    r.msgsAfterPersist = [];
    r.readStates = [];
    this.prevSoftState = soft;
    this.prevHardState = hard;
    const last = committedEntries[committedEntries.length - 1];
    this.accepted = {
      lastEntry: entries[entries.length - 1],
      snapshotIndex: snapshot?.metadata.index,
      committedLast: last?.index,
      committedBytes: payloadSizeBytes(committedEntries),
    };
    return rd;
  }

  /** The caller finished the last Ready: it is persisted, sent and applied. */
  advance(): void {
    const acc = this.accepted;
    assert(acc !== undefined, 'advance() without a ready()');
    this.accepted = undefined;
    const r = this.raft;
    if (acc.snapshotIndex !== undefined) {
      r.raftLog.stableSnapTo(acc.snapshotIndex);
      if (r.raftLog.applied < acc.snapshotIndex) r.raftLog.applied = acc.snapshotIndex;
    }
    if (acc.committedLast !== undefined) r.appliedTo(acc.committedLast, acc.committedBytes);
    if (acc.lastEntry !== undefined) {
      r.raftLog.stableTo(acc.lastEntry.index, acc.lastEntry.term);
      r.onPersisted(acc.lastEntry.index, acc.lastEntry.term);
    }
  }

  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  reportUnreachable(id: NodeId): void {
    this.raft.step({ ...this.localMsg('MsgUnreachable'), from: id });
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.step({ ...this.localMsg('MsgSnapStatus'), from: id, reject: !ok });
  }

  status(): Status {
    return getStatus(this.raft);
  }

  /** True if this node leads, every follower has everything, and nothing waits to be done. */
  isIdle(): boolean {
    const r = this.raft;
    if (r.state !== 'leader' || r.leadTransferee !== 0 || r.pendingReadCount() > 0) return false;
    const last = r.raftLog.lastIndex();
    if (r.raftLog.committed !== last || r.raftLog.applied !== last) return false;
    if (r.raftLog.unstableEntries().length > 0 || r.msgs.length > 0 || r.msgsAfterPersist.length > 0) return false;
    for (const pr of r.trk.progress.values()) if (pr.match !== last) return false;
    return true;
  }

  private stepLocal(type: Message['type']): void {
    this.raft.step(this.localMsg(type));
  }

  private localMsg(type: Message['type']): Message {
    const id = this.raft.id;
    // Every key, as Raft.send makes messages: one object shape for what step() reads.
    return { type, from: id, to: id, term: 0, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, snapshot: undefined, context: undefined };
  }
}
