/**
 * The Raft state machine (etcd raft's raft.go): roles, elections, replication, commit, reads,
 * leader transfer and membership. No I/O: outgoing messages are queued in `msgs` (may leave at
 * once) and `msgsAfterPersist` (may leave only once the caller persisted what they promise: votes
 * and append acknowledgements). RawNode turns this into Ready / advance.
 */
import { assert, NO_NODE, type NodeId, type Prng } from '@ringkv/stdx';
import { Changer } from './confchange/changer';
import { encodeConfChange } from './confchange/codec';
import { restoreConfig } from './confchange/restore';
import { CompactedError, ConfChangeError, ProposalDroppedError, SnapshotTemporarilyUnavailableError } from './errors';
import { RaftLog } from './log';
import { MAX_PENDING_READS, ReadOnly } from './read-only';
import type { Progress } from './tracker/progress';
import { configToConfState, isJoint, ProgressTracker } from './tracker/tracker';
import type { ConfChange, ConfState, Entry, HardState, LogStorage, Message, MessageType, ReadState, StateRole } from './types';

export interface RaftConfig {
  id: NodeId;
  storage: LogStorage;
  /** Randomized election timeout in [electionTick, 2*electionTick). */
  prng: Prng;
  electionTick: number;
  heartbeatTick: number;
  /** Last applied index when restarting. */
  applied?: number;
  /** Cap on entries bytes in one MsgApp. */
  maxSizePerMsgBytes: number;
  /** Pipelining window per follower. */
  maxInflightMsgs: number;
  /** propose throws ProposalDroppedError past it. */
  maxUncommittedEntriesSizeBytes: number;
  maxCommittedSizePerReadyBytes?: number;
  preVote: boolean;
  checkQuorum: boolean;
}

/** Marks a vote request sent because of a leader transfer: it overrides the voters' lease. */
const CAMPAIGN_TRANSFER = new TextEncoder().encode('CampaignTransfer');

type CampaignType = 'preElection' | 'election' | 'transfer';

const AFTER_PERSIST: ReadonlySet<MessageType> = new Set<MessageType>(['MsgAppResp', 'MsgVote', 'MsgVoteResp']);
const LOCAL: ReadonlySet<MessageType> = new Set<MessageType>(['MsgHup', 'MsgBeat', 'MsgSnapStatus', 'MsgUnreachable', 'MsgCheckQuorum']);

export function isLocalMessage(t: MessageType): boolean {
  return LOCAL.has(t);
}

const EMPTY = new Uint8Array(0);

function bytesEqual(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (a === undefined || a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

export type MessageInit = Partial<Message> & Pick<Message, 'type' | 'to'>;

export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NO_NODE;
  readStates: ReadState[] = [];
  readonly raftLog: RaftLog;
  readonly maxMsgSizeBytes: number;
  readonly maxUncommittedSizeBytes: number;
  readonly maxInflight: number;
  readonly trk = new ProgressTracker();
  state: StateRole = 'follower';
  isLearner = false;
  msgs: Message[] = [];
  msgsAfterPersist: Message[] = [];
  lead: NodeId = NO_NODE;
  leadTransferee: NodeId = NO_NODE;
  /** Index of the last conf change appended; no new one is accepted until it is applied. */
  pendingConfIndex = 0;
  uncommittedSizeBytes = 0;
  /** Entries were proposed since the last broadcast; RawNode flushes them before a Ready. */
  proposalsUnsent = false;
  /** The commit index advanced since the last broadcast; RawNode tells the followers that have
   *  not heard it yet before a Ready (see flushBroadcasts). */
  commitUnsent = false;
  readOnly = new ReadOnly();
  /** Reads that arrived before this leader committed an entry of its term. */
  private pendingReadsBeforeCommit: { context: Uint8Array; from: NodeId; mode: 'safe' | 'lease' }[] = [];
  electionElapsed = 0;
  heartbeatElapsed = 0;
  /** Ticks since this node became leader: the lease clock. */
  private leaderTicks = 0;
  /** The heartbeat round of the last periodic heartbeat (MsgBeat), as opposed to read rounds. */
  private beatRound = 0;
  /** Set once a MsgTimeoutNow was sent: another node may be elected without our voters' lease. */
  private leaseRevoked = false;
  /** After a restart we may have acknowledged a leader we no longer remember: honour its lease. */
  private restartLease: boolean;
  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  readonly heartbeatTimeout: number;
  readonly electionTimeout: number;
  /** The lease is shorter than the election timeout, so voters still refuse rivals when it ends. */
  readonly leaseTicks: number;
  randomizedElectionTimeout = 0;
  private readonly prng: Prng;

  constructor(c: RaftConfig) {
    assert(c.id !== NO_NODE, 'cannot use none as id');
    assert(c.heartbeatTick > 0, 'heartbeatTick must be > 0');
    assert(c.electionTick > c.heartbeatTick, 'electionTick must be > heartbeatTick');
    assert(c.maxInflightMsgs > 0, 'maxInflightMsgs must be > 0');
    assert(c.maxSizePerMsgBytes > 0, 'maxSizePerMsgBytes must be > 0');
    assert(c.maxUncommittedEntriesSizeBytes > 0, 'maxUncommittedEntriesSizeBytes must be > 0');
    this.id = c.id;
    this.prng = c.prng;
    this.raftLog = new RaftLog(c.storage, c.maxCommittedSizePerReadyBytes ?? c.maxSizePerMsgBytes * 16);
    this.maxMsgSizeBytes = c.maxSizePerMsgBytes;
    this.maxUncommittedSizeBytes = c.maxUncommittedEntriesSizeBytes;
    this.maxInflight = c.maxInflightMsgs;
    this.checkQuorum = c.checkQuorum;
    this.preVote = c.preVote;
    this.heartbeatTimeout = c.heartbeatTick;
    this.electionTimeout = c.electionTick;
    this.leaseTicks = Math.max(1, c.electionTick - Math.max(1, Math.floor(c.electionTick / 5)));
    const { hardState, confState } = c.storage.initialState();
    this.restartLease = c.checkQuorum && hardState.term > 0;
    this.applyConfState(confState);
    if (hardState.term !== 0 || hardState.vote !== NO_NODE || hardState.commit !== 0) this.loadState(hardState);
    if (c.applied !== undefined && c.applied > 0) this.raftLog.appliedTo(c.applied);
    this.becomeFollower(this.term, NO_NODE);
  }

  private applyConfState(cs: ConfState): void {
    const { config, progress } = restoreConfig(cs, this.raftLog.lastIndex(), this.maxInflight);
    this.trk.config = config;
    this.trk.progress = progress;
    const pr = progress.get(this.id);
    this.isLearner = pr !== undefined && pr.isLearner;
  }

  private loadState(hs: HardState): void {
    assert(
      hs.commit >= this.raftLog.committed && hs.commit <= this.raftLog.lastIndex(),
      () => `${this.id} state.commit ${hs.commit} is out of range [${this.raftLog.committed}, ${this.raftLog.lastIndex()}]`,
    );
    this.raftLog.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  // ---- sending ----

  send(init: MessageInit): void {
    const isVote = init.type === 'MsgVote' || init.type === 'MsgPreVote' || init.type === 'MsgVoteResp' || init.type === 'MsgPreVoteResp';
    // Vote requests and answers carry the term they are about (a pre-vote a future one); all
    // other messages carry ours.
    const term = isVote ? (init.term ?? 0) : this.term;
    assert(!isVote || term !== 0, () => `term should be set when sending ${init.type}`);
    const m: Message = {
      type: init.type,
      from: init.from ?? this.id,
      to: init.to,
      term,
      logTerm: init.logTerm ?? 0,
      index: init.index ?? 0,
      entries: init.entries ?? [],
      commit: init.commit ?? 0,
      reject: init.reject ?? false,
      rejectHint: init.rejectHint ?? 0,
      // Always both keys (undefined when absent): one object shape for every message, where
      // spreading the optional parts in took V8's slow path for literals on every send.
      snapshot: init.snapshot,
      context: init.context,
    };
    if (AFTER_PERSIST.has(m.type)) this.msgsAfterPersist.push(m);
    else this.msgs.push(m);
  }

  /** Sends a MsgApp (or a snapshot) to `to` if its progress allows. Returns whether it sent. */
  maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    let prevTerm: number;
    let ents: Entry[];
    try {
      prevTerm = this.raftLog.term(prevIndex);
      // With a full window only an empty MsgApp goes out: its answer clears the window even if
      // every inflight message was lost.
      ents = pr.state === 'replicate' && pr.inflights.full() ? [] : this.raftLog.entries(pr.next, this.maxMsgSizeBytes);
    } catch (e) {
      if (e instanceof CompactedError) return this.maybeSendSnapshot(to, pr);
      throw e;
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.send({ type: 'MsgApp', to, index: prevIndex, logTerm: prevTerm, entries: ents, commit: this.raftLog.committed });
    pr.sentEntries(ents.length);
    pr.sentCommit = this.raftLog.committed;
    return true;
  }

  sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  /**
   * On a heartbeat response from a follower that is behind: send it what it lacks. etcd sends an
   * append on every such response, which recovers appends that were lost (an empty MsgApp that the
   * follower rejects moves the leader back to probing). Here heartbeats also confirm reads, one
   * round per batch of ReadIndex requests, and a busy follower is nearly always behind by the
   * appends in flight: that rule sent an empty MsgApp per follower per read round (72 % of the
   * heartbeat responses in the bench's 50/50 mix), each a follower round and an answer for
   * nothing. So: a follower being probed, or one with entries not yet sent, gets them at once; the
   * recovery append goes at most once per periodic heartbeat (MsgBeat), on the first response to
   * that round or a later one, which is as often as etcd sends it without reads.
   */
  private maybeCatchUp(pr: Progress, m: Message): void {
    const last = this.raftLog.lastIndex();
    // next > match always: a follower with entries not sent yet is behind.
    if (pr.state === 'probe' || pr.next <= last) {
      this.sendAppend(m.from);
    } else if (pr.match < last && m.index >= this.beatRound && pr.catchUpRound < this.beatRound) {
      pr.catchUpRound = this.beatRound;
      this.sendAppend(m.from);
    }
  }

  private maybeSendSnapshot(to: NodeId, pr: Progress): boolean {
    if (!pr.recentActive) return false;
    let snapshot;
    try {
      snapshot = this.raftLog.snapshot();
    } catch (e) {
      if (e instanceof SnapshotTemporarilyUnavailableError) return false;
      throw e;
    }
    assert(snapshot.metadata.index > 0, 'need a non-empty snapshot to catch up a follower');
    pr.becomeSnapshot(snapshot.metadata.index);
    this.send({ type: 'MsgSnap', to, snapshot });
    return true;
  }

  private sendHeartbeat(to: NodeId, round: number): void {
    const pr = this.trk.progress.get(to)!;
    // Never tell a follower to commit past what it is known to have.
    const commit = Math.min(pr.match, this.raftLog.committed);
    this.send({ type: 'MsgHeartbeat', to, commit, index: round });
  }

  bcastAppend(): void {
    this.proposalsUnsent = false;
    this.commitUnsent = false;
    for (const id of this.trk.ids()) if (id !== this.id) this.sendAppend(id);
  }

  /**
   * Sends, batched, what happened since the last broadcast (called before each Ready): the
   * entries proposed, and a commit index that advanced. A follower gets one MsgApp carrying both,
   * or an empty one only if no MsgApp since the advance told it the commit index (stepping its
   * acknowledgement may already have sent it more entries). Between two Readies, a commit learned
   * from acknowledgements and the proposals made after it would otherwise cost two MsgApps (and
   * two answers) per follower.
   */
  flushBroadcasts(): void {
    if (!this.proposalsUnsent && !this.commitUnsent) return;
    const commitUnsent = this.commitUnsent;
    this.proposalsUnsent = false;
    this.commitUnsent = false;
    if (this.state !== 'leader') return;
    const committed = this.raftLog.committed;
    for (const id of this.trk.ids()) {
      if (id !== this.id) this.maybeSendAppend(id, commitUnsent && this.trk.progress.get(id)!.sentCommit < committed);
    }
  }

  /** A heartbeat broadcast is a numbered round: it confirms leadership for reads and the lease. */
  private bcastHeartbeat(): number {
    const round = this.readOnly.startRound(this.leaderTicks);
    this.trk.progress.get(this.id)!.ackedRound = round;
    for (const id of this.trk.ids()) if (id !== this.id) this.sendHeartbeat(id, round);
    this.maybeAdvanceReadRound();
    return round;
  }

  // ---- commit ----

  maybeCommit(): boolean {
    return this.raftLog.maybeCommit(this.trk.committed(), this.term);
  }

  /** The leader's own entries up to (index, term) are durable: count them towards the quorum. */
  onPersisted(index: number, term: number): void {
    if (this.state !== 'leader') return;
    if (this.raftLog.termOrUndefined(index) !== term) return;
    const pr = this.trk.progress.get(this.id);
    if (pr === undefined) return;
    if (pr.maybeUpdate(index) && this.maybeCommit()) this.onCommitAdvanced();
  }

  private onCommitAdvanced(): void {
    this.releasePendingReads();
    // Sent by flushBroadcasts, before the next Ready.
    this.commitUnsent = true;
  }

  // ---- role changes ----

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NO_NODE;
    }
    this.lead = NO_NODE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.trk.resetVotes();
    const last = this.raftLog.lastIndex();
    for (const [id, pr] of this.trk.progress) {
      pr.match = 0;
      pr.next = last + 1;
      pr.recentActive = false;
      pr.ackedRound = 0;
      pr.catchUpRound = 0;
      pr.becomeProbe();
      pr.next = last + 1;
      if (id === this.id) pr.match = this.raftLog.lastPersistedIndex();
    }
    this.pendingConfIndex = 0;
    this.uncommittedSizeBytes = 0;
    this.readOnly = new ReadOnly();
    this.beatRound = 0;
    this.pendingReadsBeforeCommit = [];
    this.leaderTicks = 0;
    this.leaseRevoked = false;
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.state = 'follower';
  }

  becomeCandidate(): void {
    assert(this.state !== 'leader', 'invalid transition [leader -> candidate]');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = 'candidate';
  }

  becomePreCandidate(): void {
    assert(this.state !== 'leader', 'invalid transition [leader -> pre-candidate]');
    // Pre-candidacy changes neither term nor vote: a partitioned node cannot disrupt the group.
    this.trk.resetVotes();
    this.lead = NO_NODE;
    this.state = 'preCandidate';
  }

  becomeLeader(): void {
    assert(this.state !== 'follower', 'invalid transition [follower -> leader]');
    this.reset(this.term);
    this.lead = this.id;
    this.state = 'leader';
    const self = this.trk.progress.get(this.id)!;
    self.becomeReplicate();
    self.recentActive = true;
    // Conservative: an unapplied conf change may sit in the log we inherit.
    this.pendingConfIndex = this.raftLog.lastIndex();
    // Raft §5.4.2 / §8: an entry of the new term lets older entries commit and reads proceed.
    this.appendEntries([{ term: 0, index: 0, type: 'normal', data: EMPTY }]);
  }

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.electionTimeout + this.prng.int(this.electionTimeout);
  }

  // ---- ticks ----

  tick(): void {
    if (this.state === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) this.restartLease = false;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.stepLocal('MsgHup');
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    this.leaderTicks++;
    this.readOnly.prune(this.leaderTicks - this.electionTimeout);
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.stepLocal('MsgCheckQuorum');
      if (this.state === 'leader' && this.leadTransferee !== NO_NODE) this.abortLeaderTransfer();
    }
    if (this.state !== 'leader') return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.stepLocal('MsgBeat');
    }
  }

  private stepLocal(type: MessageType): void {
    this.step({ type, from: this.id, to: this.id, term: 0, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0 });
  }

  /** Can this node become leader? It must be a voter and not waiting to install a snapshot. */
  promotable(): boolean {
    const pr = this.trk.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && this.trk.isVoter(this.id) && this.raftLog.unstable.snapshot === undefined;
  }

  private hasUnappliedConfChanges(): boolean {
    const lo = this.raftLog.applied + 1;
    const hi = this.raftLog.committed + 1;
    if (lo >= hi) return false;
    const ents = this.raftLog.slice(Math.max(lo, this.raftLog.firstIndex()), hi, Number.MAX_SAFE_INTEGER);
    return ents.some((e) => e.type === 'confChange');
  }

  // ---- elections ----

  hup(t: CampaignType): void {
    if (this.state === 'leader') return;
    if (!this.promotable()) return;
    // Campaigning with a committed but unapplied conf change could use a stale configuration.
    if (this.hasUnappliedConfChanges()) return;
    this.campaign(t);
  }

  private campaign(t: CampaignType): void {
    let term: number;
    let voteMsg: MessageType;
    if (t === 'preElection') {
      this.becomePreCandidate();
      voteMsg = 'MsgPreVote';
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteMsg = 'MsgVote';
      term = this.term;
    }
    const res = this.poll(this.id, true);
    if (res === 'won') {
      if (t === 'preElection') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    for (const id of this.trk.voterIds()) {
      if (id === this.id) continue;
      this.send({
        type: voteMsg,
        to: id,
        term,
        index: this.raftLog.lastIndex(),
        logTerm: this.raftLog.lastTerm(),
        ...(t === 'transfer' ? { context: CAMPAIGN_TRANSFER } : {}),
      });
    }
  }

  private poll(id: NodeId, granted: boolean): 'won' | 'lost' | 'pending' {
    this.trk.recordVote(id, granted);
    return this.trk.voteResult();
  }

  // ---- step ----

  step(m: Message): void {
    if (m.term === 0) {
      // local message
    } else if (m.term > this.term) {
      if (m.type === 'MsgVote' || m.type === 'MsgPreVote') {
        const force = bytesEqual(m.context, CAMPAIGN_TRANSFER);
        const inLease = this.checkQuorum && (this.lead !== NO_NODE || this.restartLease) && this.electionElapsed < this.electionTimeout;
        // Check-quorum: while we hear from a live leader we ignore vote requests, so a node
        // that rejoins after a partition cannot depose it.
        if (!force && inLease) return;
      }
      if (m.type === 'MsgPreVote') {
        // Never change our term because of a pre-vote.
      } else if (m.type === 'MsgPreVoteResp' && !m.reject) {
        // A granted pre-vote carries the future term we asked about; the real vote bumps it.
      } else if (m.type === 'MsgApp' || m.type === 'MsgHeartbeat' || m.type === 'MsgSnap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NO_NODE);
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === 'MsgHeartbeat' || m.type === 'MsgApp')) {
        // A stale leader (e.g. after a partition) learns the new term from this and steps down;
        // without it, pre-vote/check-quorum could leave it waiting forever.
        this.send({ type: 'MsgAppResp', to: m.from });
      } else if (m.type === 'MsgPreVote' || m.type === 'MsgVote') {
        // Tell a stale candidate our term (Raft §5.1). Without it, a candidate whose peers have a
        // configuration without it never hears their higher term and keeps campaigning below it.
        this.send({ type: m.type === 'MsgVote' ? 'MsgVoteResp' : 'MsgPreVoteResp', to: m.from, term: this.term, reject: true });
      }
      return;
    }

    switch (m.type) {
      case 'MsgHup':
        this.hup(this.preVote ? 'preElection' : 'election');
        return;
      case 'MsgVote':
      case 'MsgPreVote': {
        const canVote =
          this.vote === m.from ||
          (this.vote === NO_NODE && this.lead === NO_NODE) ||
          (m.type === 'MsgPreVote' && m.term > this.term);
        const respType = m.type === 'MsgVote' ? 'MsgVoteResp' : 'MsgPreVoteResp';
        if (canVote && this.raftLog.isUpToDate(m.index, m.logTerm)) {
          this.send({ type: respType, to: m.from, term: m.term });
          if (m.type === 'MsgVote') {
            this.electionElapsed = 0;
            this.vote = m.from;
          }
        } else {
          this.send({ type: respType, to: m.from, term: this.term, reject: true });
        }
        return;
      }
      default:
        break;
    }
    switch (this.state) {
      case 'leader':
        this.stepLeader(m);
        return;
      case 'candidate':
      case 'preCandidate':
        this.stepCandidate(m);
        return;
      case 'follower':
        this.stepFollower(m);
        return;
    }
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case 'MsgBeat':
        this.beatRound = this.bcastHeartbeat();
        return;
      case 'MsgCheckQuorum':
        if (!this.trk.quorumActive(this.id)) {
          this.becomeFollower(this.term, NO_NODE);
          return;
        }
        for (const [id, pr] of this.trk.progress) if (id !== this.id) pr.recentActive = false;
        return;
      case 'MsgReadIndex':
        this.handleReadIndex(m.context ?? EMPTY, m.from, 'safe');
        return;
      default:
        break;
    }
    const pr = this.trk.progress.get(m.from);
    if (pr === undefined) return;
    switch (m.type) {
      case 'MsgAppResp':
        pr.recentActive = true;
        if (m.reject) {
          let nextProbeIdx = m.rejectHint;
          if (m.logTerm > 0) nextProbeIdx = this.raftLog.findConflictByTerm(m.rejectHint, m.logTerm)[0];
          if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
            if (pr.state === 'replicate') pr.becomeProbe();
            this.sendAppend(m.from);
          }
        } else {
          const oldPaused = pr.isPaused();
          if (pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === 'probe')) {
            if (pr.state === 'probe') {
              pr.becomeReplicate();
            } else if (pr.state === 'snapshot' && pr.match + 1 >= this.raftLog.firstIndex()) {
              // The follower caught up past the compaction point: resume normal replication.
              pr.becomeProbe();
              pr.becomeReplicate();
            } else if (pr.state === 'replicate') {
              pr.inflights.freeLE(m.index);
            }
            if (this.maybeCommit()) {
              this.onCommitAdvanced();
            } else if (oldPaused) {
              this.sendAppend(m.from);
            }
            while (this.maybeSendAppend(m.from, false)) {
              // keep the pipeline full
            }
            if (m.from === this.leadTransferee && pr.match === this.raftLog.lastIndex()) this.sendTimeoutNow(m.from);
          }
        }
        return;
      case 'MsgHeartbeatResp':
        pr.recentActive = true;
        pr.msgAppFlowPaused = false;
        if (m.index > pr.ackedRound) {
          pr.ackedRound = m.index;
          this.maybeAdvanceReadRound();
        }
        this.maybeCatchUp(pr, m);
        return;
      case 'MsgSnapStatus':
        if (pr.state !== 'snapshot') return;
        if (m.reject) pr.pendingSnapshot = 0;
        pr.becomeProbe();
        // Wait for the next heartbeat response (or an ack) before probing again.
        pr.msgAppFlowPaused = true;
        return;
      case 'MsgUnreachable':
        if (pr.state === 'replicate') pr.becomeProbe();
        return;
      case 'MsgTransferLeader': {
        if (pr.isLearner) return;
        const transferee = m.from;
        if (this.leadTransferee !== NO_NODE) {
          if (this.leadTransferee === transferee) return;
          this.abortLeaderTransfer();
        }
        if (transferee === this.id) return;
        // The transfer must finish within an election timeout or it is abandoned.
        this.electionElapsed = 0;
        this.leadTransferee = transferee;
        if (pr.match === this.raftLog.lastIndex()) this.sendTimeoutNow(transferee);
        else this.sendAppend(transferee);
        return;
      }
      default:
        return;
    }
  }

  private stepCandidate(m: Message): void {
    const myVoteResp: MessageType = this.state === 'preCandidate' ? 'MsgPreVoteResp' : 'MsgVoteResp';
    switch (m.type) {
      case 'MsgApp':
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        return;
      case 'MsgHeartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case 'MsgSnap':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case 'MsgPreVoteResp':
      case 'MsgVoteResp': {
        if (m.type !== myVoteResp) return;
        const res = this.poll(m.from, !m.reject);
        if (res === 'won') {
          if (this.state === 'preCandidate') {
            this.campaign('election');
          } else {
            this.becomeLeader();
            this.bcastAppend();
          }
        } else if (res === 'lost') {
          this.becomeFollower(this.term, NO_NODE);
        }
        return;
      }
      default:
        return;
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'MsgApp':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return;
      case 'MsgHeartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case 'MsgSnap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case 'MsgTransferLeader':
        if (this.lead === NO_NODE) return;
        this.send({ type: 'MsgTransferLeader', to: this.lead, from: m.from });
        return;
      case 'MsgTimeoutNow':
        // The leader asked us to campaign at once, skipping pre-vote and the voters' lease.
        this.hup('transfer');
        return;
      case 'MsgReadIndex':
        // Another node's read (it took us for the leader): pass it on as ITS read, so the leader
        // answers it and not us. Sent as ours, the answer would land in our readStates with the
        // other node's context, where it could confirm a read of ours that happens to share it,
        // at an index the leader fixed before that read began.
        if (this.lead === NO_NODE) return;
        this.send({ type: 'MsgReadIndex', to: this.lead, from: m.from, ...(m.context !== undefined ? { context: m.context } : {}) });
        return;
      case 'MsgReadIndexResp':
        this.readStates.push({ index: m.index, context: m.context ?? EMPTY });
        return;
      default:
        return;
    }
  }

  handleAppendEntries(m: Message): void {
    if (m.index < this.raftLog.committed) {
      this.send({ type: 'MsgAppResp', to: m.from, index: this.raftLog.committed });
      return;
    }
    const lastNew = this.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.send({ type: 'MsgAppResp', to: m.from, index: lastNew });
      return;
    }
    // Reject with a hint (etcd's fast log backtracking): the largest index <= m.index whose term
    // is <= m.logTerm, so the leader can skip a whole term of mismatching entries at once.
    const hintIndex = Math.min(m.index, this.raftLog.lastIndex());
    const [hi, ht] = this.raftLog.findConflictByTerm(hintIndex, m.logTerm);
    this.send({ type: 'MsgAppResp', to: m.from, index: m.index, reject: true, rejectHint: hi, logTerm: ht });
  }

  private handleHeartbeat(m: Message): void {
    this.raftLog.commitTo(m.commit);
    this.send({ type: 'MsgHeartbeatResp', to: m.from, index: m.index });
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot;
    assert(s !== undefined, 'MsgSnap without a snapshot');
    if (this.restore(s)) {
      this.send({ type: 'MsgAppResp', to: m.from, index: this.raftLog.lastIndex() });
    } else {
      this.send({ type: 'MsgAppResp', to: m.from, index: this.raftLog.committed });
    }
  }

  /** Installs a snapshot into the log (the caller persists and applies it from the Ready). */
  private restore(s: NonNullable<Message['snapshot']>): boolean {
    const meta = s.metadata;
    if (meta.index <= this.raftLog.committed) return false;
    if (this.state !== 'follower') {
      this.becomeFollower(this.term + 1, NO_NODE);
      return false;
    }
    // The snapshot may predate the conf change that added us (the application snapshots when it
    // likes): accept it anyway; the entries after it bring the change that makes us a member.
    const cs = meta.confState;
    if (this.raftLog.matchTerm(meta.index, meta.term)) {
      // We already have the log up to the snapshot: just fast-forward the commit index.
      this.raftLog.commitTo(meta.index);
      return false;
    }
    this.raftLog.restore(s);
    this.applyConfState(cs);
    return true;
  }

  // ---- proposals ----

  private appendEntries(es: Entry[]): { index: number; term: number } {
    let li = this.raftLog.lastIndex();
    const stamped = es.map((e) => ({ ...e, term: this.term, index: ++li }));
    this.raftLog.append(stamped);
    return { index: li, term: this.term };
  }

  private checkCanPropose(what: string): void {
    if (this.state !== 'leader') throw new ProposalDroppedError(`${what} dropped: node ${this.id} is not the leader`, this.lead);
    if (!this.trk.progress.has(this.id)) throw new ProposalDroppedError(`${what} dropped: node ${this.id} was removed from the group`, NO_NODE);
    if (this.leadTransferee !== NO_NODE) {
      throw new ProposalDroppedError(`${what} dropped: leadership is being transferred to ${this.leadTransferee}`, this.leadTransferee);
    }
  }

  private admit(e: Entry, what: string): void {
    const s = e.data.byteLength;
    // A single entry is always admitted when nothing is uncommitted, so no entry is unproposable.
    if (this.uncommittedSizeBytes > 0 && s > 0 && this.uncommittedSizeBytes + s > this.maxUncommittedSizeBytes) {
      throw new ProposalDroppedError(
        `${what} dropped: ${this.uncommittedSizeBytes} bytes are uncommitted, the limit is ${this.maxUncommittedSizeBytes}; retry once they commit`,
        this.id,
      );
    }
    this.uncommittedSizeBytes += s;
  }

  propose(data: Uint8Array): { index: number; term: number } {
    this.checkCanPropose('proposal');
    const e: Entry = { term: 0, index: 0, type: 'normal', data };
    this.admit(e, 'proposal');
    const r = this.appendEntries([e]);
    // Proposals between two Readies share one MsgApp per follower: see flushBroadcasts.
    this.proposalsUnsent = true;
    return r;
  }

  proposeConfChange(cc: ConfChange): { index: number; term: number } {
    this.checkCanPropose('conf change');
    if (this.pendingConfIndex > this.raftLog.applied) {
      throw new ProposalDroppedError(
        `conf change dropped: the previous one (index ${this.pendingConfIndex}) is not applied yet (applied ${this.raftLog.applied})`,
        this.id,
      );
    }
    // Dry run: an invalid change is refused here rather than failing on every replica at apply.
    this.changer().apply(cc);
    if (cc.changes.length === 0 && !isJoint(this.trk.config)) throw new ConfChangeError('an empty conf change only leaves a joint configuration');
    const e: Entry = { term: 0, index: 0, type: 'confChange', data: encodeConfChange(cc) };
    this.admit(e, 'conf change');
    const r = this.appendEntries([e]);
    this.pendingConfIndex = r.index;
    this.bcastAppend();
    return r;
  }

  private changer(): Changer {
    return new Changer(this.trk.config, this.trk.progress, this.raftLog.lastIndex(), this.maxInflight);
  }

  /** The caller applied committed entries up to `applied` (RawNode.advance). */
  appliedTo(applied: number, committedPayloadBytes: number): void {
    this.raftLog.appliedTo(applied);
    this.uncommittedSizeBytes = Math.max(0, this.uncommittedSizeBytes - committedPayloadBytes);
    if (this.state === 'leader' && this.trk.config.autoLeave && applied >= this.pendingConfIndex && this.trk.progress.has(this.id)) {
      // The joint configuration was entered with autoLeave: propose leaving it now.
      const r = this.appendEntries([{ term: 0, index: 0, type: 'confChange', data: encodeConfChange({ transition: 'auto', changes: [] }) }]);
      this.pendingConfIndex = r.index;
      this.bcastAppend();
    }
  }

  applyConfChange(cc: ConfChange): ConfState {
    const { config, progress } = this.changer().apply(cc);
    this.trk.config = config;
    this.trk.progress = progress;
    return this.switchToConfig();
  }

  private switchToConfig(): ConfState {
    const cs = configToConfState(this.trk.config);
    const pr = this.trk.progress.get(this.id);
    this.isLearner = pr !== undefined && pr.isLearner;
    if (this.state !== 'leader') return cs;
    if (pr === undefined || !this.trk.isVoter(this.id)) {
      this.handOffLeadership();
      return cs;
    }
    if (this.leadTransferee !== NO_NODE && !this.trk.isVoter(this.leadTransferee)) this.abortLeaderTransfer();
    if (this.maybeCommit()) {
      this.onCommitAdvanced();
    } else {
      for (const id of this.trk.ids()) if (id !== this.id) this.maybeSendAppend(id, false);
    }
    return cs;
  }

  /** The leader was removed: ask the most caught-up voter to campaign now, and step down. */
  private handOffLeadership(): void {
    let best: NodeId = NO_NODE;
    let bestMatch = -1;
    for (const id of this.trk.voterIds()) {
      const p = this.trk.progress.get(id)!;
      if (p.match > bestMatch) {
        best = id;
        bestMatch = p.match;
      }
    }
    if (best !== NO_NODE) {
      // Bring it fully up to date first if we can; the MsgApp goes out before MsgTimeoutNow.
      if (bestMatch < this.raftLog.lastIndex()) this.sendAppend(best);
      this.send({ type: 'MsgTimeoutNow', to: best });
    }
    this.becomeFollower(this.term, NO_NODE);
  }

  // ---- leader transfer ----

  private sendTimeoutNow(to: NodeId): void {
    this.leaseRevoked = true;
    this.send({ type: 'MsgTimeoutNow', to });
  }

  abortLeaderTransfer(): void {
    this.leadTransferee = NO_NODE;
  }

  // ---- reads ----

  /** Local read request (RawNode.readIndex). */
  readIndex(context: Uint8Array, mode: 'safe' | 'lease'): void {
    if (this.state === 'leader') {
      this.handleReadIndex(context, this.id, mode);
      return;
    }
    if (this.lead === NO_NODE) throw new ProposalDroppedError(`read dropped: node ${this.id} knows no leader`, NO_NODE);
    // Forwarded reads are confirmed by a heartbeat round: the leader cannot vouch for our lease.
    this.send({ type: 'MsgReadIndex', to: this.lead, context });
  }

  private handleReadIndex(context: Uint8Array, from: NodeId, mode: 'safe' | 'lease'): void {
    if (this.readOnly.pending() + this.pendingReadsBeforeCommit.length >= MAX_PENDING_READS) {
      if (from === this.id) throw new ProposalDroppedError(`read dropped: ${MAX_PENDING_READS} reads are waiting already`, this.id);
      return;
    }
    if (!this.committedEntryInCurrentTerm()) {
      // Our commit index may lag until an entry of our term commits (thesis §6.4 step 1).
      this.pendingReadsBeforeCommit.push({ context, from, mode });
      return;
    }
    const index = this.raftLog.committed;
    if (this.trk.isSingleton() && this.trk.isVoter(this.id)) {
      this.answerRead(index, context, from);
      return;
    }
    if (mode === 'lease' && this.leaseValid()) {
      this.answerRead(index, context, from);
      return;
    }
    this.readOnly.add(index, context, from);
    if (!this.readOnly.inFlight()) this.bcastHeartbeat();
  }

  /** True while a quorum acknowledged a heartbeat round sent less than leaseTicks ago. */
  leaseValid(): boolean {
    if (!this.checkQuorum || this.leaseRevoked || this.state !== 'leader') return false;
    const start = this.readOnly.leaseStartTick();
    return start !== undefined && this.readOnly.quorumRound > 0 && this.leaderTicks < start + this.leaseTicks;
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.raftLog.termOrUndefined(this.raftLog.committed) === this.term;
  }

  private releasePendingReads(): void {
    if (this.pendingReadsBeforeCommit.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const reads = this.pendingReadsBeforeCommit;
    this.pendingReadsBeforeCommit = [];
    for (const r of reads) this.handleReadIndex(r.context, r.from, r.mode);
  }

  private maybeAdvanceReadRound(): void {
    const r = this.trk.quorumValue((id) => this.trk.progress.get(id)?.ackedRound ?? 0);
    for (const read of this.readOnly.advance(r)) this.answerRead(read.index, read.context, read.from);
    // Reads that arrived while the previous round was in flight share the next one.
    if (!this.readOnly.inFlight() && this.readOnly.needsRound()) this.bcastHeartbeat();
  }

  private answerRead(index: number, context: Uint8Array, from: NodeId): void {
    if (from === this.id) this.readStates.push({ index, context });
    else this.send({ type: 'MsgReadIndexResp', to: from, index, context });
  }

  pendingReadCount(): number {
    return this.readOnly.pending() + this.pendingReadsBeforeCommit.length;
  }
}
