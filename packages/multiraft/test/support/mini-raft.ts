/**
 * Stand-in for @ringkv/raft while the real core has not landed (vitest.config.ts aliases it only
 * then): the RawNode contract, with plain Raft (elections with the check-quorum lease, log
 * replication, commit, heartbeats, ReadIndex safe/lease, leader transfer, snapshots). No pre-vote,
 * no joint consensus, no flow control. It exists so the Store's own logic is tested now; the
 * tests run against the real core as soon as packages/raft/src/index.ts exists.
 */
import type { ConfChange, ConfState, Entry, HardState, LogStorage, Message, MessageType, ProgressStatus, ReadState, Ready, Snapshot, SoftState, StateRole, Status } from '../../../raft/src/types';
import type { NodeId, Prng } from '@ringkv/stdx';
import { NO_NODE, assert, utf8Decode, utf8Encode } from '@ringkv/stdx';

export class CompactedError extends Error {}
export class UnavailableError extends Error {}
export class ProposalDroppedError extends Error {
  constructor(
    message: string,
    readonly leaderHint: NodeId,
  ) {
    super(message);
  }
}

export function encodeConfChange(cc: ConfChange): Uint8Array {
  return utf8Encode(JSON.stringify(cc));
}
export function decodeConfChange(bytes: Uint8Array): ConfChange {
  return JSON.parse(utf8Decode(bytes)) as ConfChange;
}

interface Config {
  id: NodeId;
  storage: LogStorage;
  prng: Prng;
  electionTick: number;
  heartbeatTick: number;
  applied?: number;
  maxSizePerMsgBytes: number;
}

interface Progress {
  match: number;
  next: number;
  recentActive: boolean;
  pendingSnapshot: number;
}

const EMPTY = new Uint8Array(0);

export class RawNode {
  private readonly id: NodeId;
  private readonly storage: LogStorage;
  private term: number;
  private vote: NodeId;
  private commit: number;
  private applied: number;
  private role: StateRole = 'follower';
  private leader: NodeId = NO_NODE;
  private confState: ConfState;
  private unstable: Entry[] = [];
  private unstableOffset: number;
  private pendingSnapshot: Snapshot | undefined;
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedTimeout = 0;
  private votes = new Map<NodeId, boolean>();
  private progress = new Map<NodeId, Progress>();
  private msgs: Message[] = [];
  private msgsAfter: Message[] = [];
  private readStates: ReadState[] = [];
  private pendingReads: Array<{ index: number; ctx: Uint8Array; acks: Set<NodeId> }> = [];
  private readsBeforeCommit: Array<{ ctx: Uint8Array; mode: 'safe' | 'lease' }> = [];
  private leadTransferee: NodeId = NO_NODE;
  private transferElapsed = 0;
  private prevHard: HardState;
  private prevSoft: SoftState;
  private readyCommitTo = 0;
  private readyLastEntry = 0;

  constructor(private readonly cfg: Config) {
    this.id = cfg.id;
    this.storage = cfg.storage;
    const { hardState, confState } = cfg.storage.initialState();
    this.term = hardState.term;
    this.vote = hardState.vote;
    this.commit = hardState.commit;
    this.confState = confState;
    this.applied = cfg.applied ?? cfg.storage.firstIndex() - 1;
    this.unstableOffset = cfg.storage.lastIndex() + 1;
    this.prevHard = hardState;
    this.prevSoft = { leader: NO_NODE, role: 'follower' };
    this.resetTimeout();
  }

  // ---- log ----
  private lastIndex(): number {
    return this.unstable.length > 0 ? this.unstableOffset + this.unstable.length - 1 : this.pendingSnapshot?.metadata.index ?? this.storage.lastIndex();
  }
  private termAt(i: number): number {
    if (this.unstable.length > 0 && i >= this.unstableOffset) {
      const e = this.unstable[i - this.unstableOffset];
      if (e === undefined) throw new UnavailableError();
      return e.term;
    }
    if (this.pendingSnapshot !== undefined) {
      if (i === this.pendingSnapshot.metadata.index) return this.pendingSnapshot.metadata.term;
      if (i < this.pendingSnapshot.metadata.index) throw new CompactedError();
      if (this.unstable.length === 0) throw new UnavailableError();
    }
    if (i === this.unstableOffset - 1 && this.unstable.length > 0 && i > this.storage.lastIndex()) throw new UnavailableError();
    return this.storage.term(i);
  }
  private safeTerm(i: number): number {
    try {
      return this.termAt(i);
    } catch {
      return -1;
    }
  }
  private lastTerm(): number {
    return this.safeTerm(this.lastIndex());
  }
  private slice(lo: number, hi: number, maxBytes: number): Entry[] {
    const out: Entry[] = [];
    let size = 0;
    for (let i = lo; i < hi; i++) {
      let e: Entry | undefined;
      if (this.unstable.length > 0 && i >= this.unstableOffset) e = this.unstable[i - this.unstableOffset];
      else e = this.storage.entries(i, i + 1, Infinity)[0];
      if (e === undefined) break;
      size += e.data.length + 16;
      if (out.length > 0 && size > maxBytes) break;
      out.push(e);
    }
    return out;
  }
  private appendEntries(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0]!.index;
    if (this.unstable.length > 0 && first >= this.unstableOffset && first <= this.unstableOffset + this.unstable.length) {
      this.unstable = this.unstable.slice(0, first - this.unstableOffset).concat(entries);
    } else {
      this.unstable = [...entries];
      this.unstableOffset = first;
    }
  }

  // ---- roles ----
  private voters(): NodeId[] {
    return [...this.confState.voters];
  }
  private quorum(): number {
    return Math.floor(this.voters().length / 2) + 1;
  }
  private resetTimeout(): void {
    this.randomizedTimeout = this.cfg.electionTick + this.cfg.prng.int(this.cfg.electionTick);
  }
  private becomeFollower(term: number, leader: NodeId): void {
    if (term > this.term) {
      this.term = term;
      this.vote = NO_NODE;
    }
    this.role = 'follower';
    this.leader = leader;
    this.electionElapsed = 0;
    this.leadTransferee = NO_NODE;
    this.pendingReads = [];
    this.readsBeforeCommit = [];
    this.resetTimeout();
  }
  private becomeLeader(): void {
    this.role = 'leader';
    this.leader = this.id;
    this.heartbeatElapsed = 0;
    this.electionElapsed = 0;
    this.progress.clear();
    const last = this.lastIndex();
    for (const v of this.voters()) this.progress.set(v, { match: v === this.id ? last : 0, next: last + 1, recentActive: true, pendingSnapshot: 0 });
    this.appendLocal(EMPTY);
    this.broadcastAppend();
  }
  campaign(transfer = false): void {
    if (!this.voters().includes(this.id)) return;
    this.role = 'candidate';
    this.term++;
    this.vote = this.id;
    this.leader = NO_NODE;
    this.electionElapsed = 0;
    this.resetTimeout();
    this.votes = new Map([[this.id, true]]);
    if (this.quorum() === 1) return this.becomeLeader();
    for (const v of this.voters()) {
      if (v === this.id) continue;
      this.send({ type: 'MsgVote', to: v, index: this.lastIndex(), logTerm: this.lastTerm(), ...(transfer ? { context: utf8Encode('T') } : {}) });
    }
  }

  // ---- public API ----
  tick(): void {
    this.electionElapsed++;
    if (this.role === 'leader') {
      if (this.leadTransferee !== NO_NODE && ++this.transferElapsed >= this.cfg.electionTick) this.leadTransferee = NO_NODE;
      if (++this.heartbeatElapsed >= this.cfg.heartbeatTick) {
        this.heartbeatElapsed = 0;
        this.broadcastHeartbeat(undefined);
      }
      if (this.electionElapsed >= this.cfg.electionTick) {
        this.electionElapsed = 0;
        let active = 0;
        for (const [id, pr] of this.progress) {
          if (id === this.id || pr.recentActive) active++;
          pr.recentActive = false;
        }
        if (active < this.quorum()) this.becomeFollower(this.term, NO_NODE);
      }
      return;
    }
    if (this.electionElapsed >= this.randomizedTimeout) this.campaign();
  }

  propose(data: Uint8Array): { index: number; term: number } {
    if (this.role !== 'leader' || this.leadTransferee !== NO_NODE) throw new ProposalDroppedError('not the leader', this.leader);
    const index = this.appendLocal(data);
    this.broadcastAppend();
    return { index, term: this.term };
  }

  proposeConfChange(_cc: ConfChange): void {
    throw new Error('mini-raft: membership changes are not supported');
  }

  readIndex(ctx: Uint8Array, mode: 'safe' | 'lease' = 'safe'): void {
    if (this.role !== 'leader') return;
    if (this.safeTerm(this.commit) !== this.term) {
      this.readsBeforeCommit.push({ ctx, mode });
      return;
    }
    if (mode === 'lease' || this.quorum() === 1) {
      this.readStates.push({ index: this.commit, context: ctx });
      return;
    }
    this.pendingReads.push({ index: this.commit, ctx, acks: new Set([this.id]) });
    this.broadcastHeartbeat(ctx);
  }

  transferLeader(to: NodeId): void {
    if (this.role !== 'leader' || to === this.id || !this.progress.has(to)) return;
    this.leadTransferee = to;
    this.transferElapsed = 0;
    const pr = this.progress.get(to)!;
    if (pr.match === this.lastIndex()) this.send({ type: 'MsgTimeoutNow', to });
    else this.sendAppend(to);
  }

  applyConfChange(_cc: ConfChange): ConfState {
    return this.confState;
  }

  reportUnreachable(id: NodeId): void {
    const pr = this.progress.get(id);
    if (pr !== undefined) pr.next = pr.match + 1;
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    const pr = this.progress.get(id);
    if (pr === undefined) return;
    pr.next = ok ? Math.max(pr.match + 1, pr.pendingSnapshot + 1) : pr.match + 1;
    pr.pendingSnapshot = 0;
  }

  step(m: Message): void {
    if (m.term > this.term) {
      if (m.type === 'MsgVote') {
        const forced = m.context !== undefined && utf8Decode(m.context) === 'T';
        const inLease = this.leader !== NO_NODE && this.electionElapsed < this.cfg.electionTick;
        if (inLease && !forced) return;
        this.becomeFollower(m.term, NO_NODE);
      } else {
        this.becomeFollower(m.term, m.type === 'MsgApp' || m.type === 'MsgHeartbeat' || m.type === 'MsgSnap' ? m.from : NO_NODE);
      }
    } else if (m.term < this.term) {
      if (m.type === 'MsgApp' || m.type === 'MsgHeartbeat') this.send({ type: 'MsgAppResp', to: m.from });
      return;
    }
    switch (m.type) {
      case 'MsgVote': {
        const upToDate = m.logTerm > this.lastTerm() || (m.logTerm === this.lastTerm() && m.index >= this.lastIndex());
        const grant = (this.vote === NO_NODE || this.vote === m.from) && upToDate && this.role !== 'leader';
        if (grant) {
          this.vote = m.from;
          this.electionElapsed = 0;
        }
        this.send({ type: 'MsgVoteResp', to: m.from, reject: !grant }, true);
        return;
      }
      case 'MsgVoteResp': {
        if (this.role !== 'candidate') return;
        this.votes.set(m.from, !m.reject);
        const granted = [...this.votes.values()].filter(Boolean).length;
        const rejected = this.votes.size - granted;
        if (granted >= this.quorum()) this.becomeLeader();
        else if (rejected >= this.quorum()) this.becomeFollower(this.term, NO_NODE);
        return;
      }
      case 'MsgApp':
        this.becomeFollowerOf(m.from);
        this.handleAppend(m);
        return;
      case 'MsgHeartbeat':
        this.becomeFollowerOf(m.from);
        this.commit = Math.max(this.commit, Math.min(m.commit, this.lastIndex()));
        this.send({ type: 'MsgHeartbeatResp', to: m.from, ...(m.context === undefined ? {} : { context: m.context }) });
        return;
      case 'MsgSnap':
        this.becomeFollowerOf(m.from);
        this.handleSnapshot(m);
        return;
      case 'MsgTimeoutNow':
        if (this.role !== 'leader') this.campaign(true);
        return;
      case 'MsgAppResp':
        this.handleAppendResp(m);
        return;
      case 'MsgHeartbeatResp':
        this.handleHeartbeatResp(m);
        return;
      default:
        return;
    }
  }

  hasReady(): boolean {
    const hs = this.hardState();
    return (
      this.msgs.length > 0 ||
      this.msgsAfter.length > 0 ||
      this.unstable.length > 0 ||
      this.pendingSnapshot !== undefined ||
      this.readStates.length > 0 ||
      this.commit > this.applied ||
      hs.term !== this.prevHard.term ||
      hs.vote !== this.prevHard.vote ||
      hs.commit !== this.prevHard.commit ||
      this.leader !== this.prevSoft.leader ||
      this.role !== this.prevSoft.role
    );
  }

  ready(): Ready {
    const hs = this.hardState();
    const hsChanged = hs.term !== this.prevHard.term || hs.vote !== this.prevHard.vote || hs.commit !== this.prevHard.commit;
    const softChanged = this.leader !== this.prevSoft.leader || this.role !== this.prevSoft.role;
    const from = Math.max(this.applied, this.pendingSnapshot?.metadata.index ?? 0) + 1;
    const committed = this.commit >= from ? this.slice(from, this.commit + 1, Infinity) : [];
    this.readyCommitTo = committed.length > 0 ? committed[committed.length - 1]!.index : Math.max(this.applied, this.pendingSnapshot?.metadata.index ?? 0);
    this.readyLastEntry = this.lastIndex();
    const rd: Ready = {
      ...(softChanged ? { softState: { leader: this.leader, role: this.role } } : {}),
      ...(hsChanged ? { hardState: hs } : {}),
      readStates: this.readStates,
      entries: this.unstable,
      ...(this.pendingSnapshot === undefined ? {} : { snapshot: this.pendingSnapshot }),
      committedEntries: committed,
      messages: this.msgs,
      messagesAfterPersist: this.msgsAfter,
      mustSync: hsChanged || this.unstable.length > 0,
    };
    this.prevHard = hs;
    this.prevSoft = { leader: this.leader, role: this.role };
    this.msgs = [];
    this.msgsAfter = [];
    this.readStates = [];
    return rd;
  }

  advance(): void {
    this.applied = Math.max(this.applied, this.readyCommitTo);
    if (this.pendingSnapshot !== undefined) this.pendingSnapshot = undefined;
    assert(this.storage.lastIndex() >= this.readyLastEntry || this.unstable.length === 0, 'mini-raft: storage did not persist the ready entries');
    this.unstable = [];
    this.unstableOffset = this.storage.lastIndex() + 1;
  }

  status(): Status {
    const progress = new Map<NodeId, ProgressStatus>();
    if (this.role === 'leader') {
      for (const [id, pr] of this.progress) {
        progress.set(id, { match: pr.match, next: pr.next, state: 'replicate', isLearner: false, recentActive: pr.recentActive, inflight: 0, pendingSnapshot: pr.pendingSnapshot });
      }
    }
    return {
      id: this.id,
      role: this.role,
      term: this.term,
      vote: this.vote,
      leader: this.leader,
      commit: this.commit,
      applied: this.applied,
      lastIndex: this.lastIndex(),
      confState: this.confState,
      leadTransferee: this.leadTransferee,
      progress,
    };
  }

  isIdle(): boolean {
    return !this.hasReady();
  }

  // ---- internals ----
  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.commit };
  }
  private becomeFollowerOf(leader: NodeId): void {
    if (this.role !== 'follower') this.becomeFollower(this.term, leader);
    this.leader = leader;
    this.electionElapsed = 0;
  }
  private send(partial: Partial<Message> & { type: MessageType; to: NodeId }, afterPersist = false): void {
    const m: Message = { from: this.id, term: this.term, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, ...partial };
    (afterPersist ? this.msgsAfter : this.msgs).push(m);
  }
  private appendLocal(data: Uint8Array): number {
    const index = this.lastIndex() + 1;
    this.appendEntries([{ term: this.term, index, type: 'normal', data }]);
    const self = this.progress.get(this.id);
    if (self !== undefined) {
      self.match = index;
      self.next = index + 1;
    }
    this.maybeCommit();
    return index;
  }
  private broadcastAppend(): void {
    for (const v of this.voters()) if (v !== this.id) this.sendAppend(v);
  }
  private broadcastHeartbeat(ctx: Uint8Array | undefined): void {
    for (const v of this.voters()) {
      if (v === this.id) continue;
      const pr = this.progress.get(v);
      this.send({ type: 'MsgHeartbeat', to: v, commit: Math.min(this.commit, pr?.match ?? 0), ...(ctx === undefined ? {} : { context: ctx }) });
    }
  }
  private sendAppend(to: NodeId): void {
    const pr = this.progress.get(to);
    if (pr === undefined || pr.pendingSnapshot > 0) return;
    const prev = pr.next - 1;
    const prevTerm = this.safeTerm(prev);
    if (prevTerm < 0 || pr.next < this.storage.firstIndex()) {
      const snap = this.storage.snapshot();
      pr.pendingSnapshot = snap.metadata.index;
      this.send({ type: 'MsgSnap', to, snapshot: snap });
      return;
    }
    const entries = this.slice(pr.next, this.lastIndex() + 1, this.cfg.maxSizePerMsgBytes);
    this.send({ type: 'MsgApp', to, index: prev, logTerm: prevTerm, entries, commit: this.commit });
    if (entries.length > 0) pr.next = entries[entries.length - 1]!.index + 1;
  }
  private handleAppend(m: Message): void {
    if (m.index < this.commit) {
      this.send({ type: 'MsgAppResp', to: m.from, index: this.commit }, true);
      return;
    }
    if (this.safeTerm(m.index) !== m.logTerm) {
      this.send({ type: 'MsgAppResp', to: m.from, index: m.index, reject: true, rejectHint: this.lastIndex() }, true);
      return;
    }
    let i = 0;
    while (i < m.entries.length && this.safeTerm(m.entries[i]!.index) === m.entries[i]!.term) i++;
    if (i < m.entries.length) {
      assert(m.entries[i]!.index > this.commit, 'mini-raft: conflict below commit');
      this.appendEntries(m.entries.slice(i));
    }
    const lastNew = m.index + m.entries.length;
    this.commit = Math.max(this.commit, Math.min(m.commit, lastNew));
    this.send({ type: 'MsgAppResp', to: m.from, index: lastNew }, true);
  }
  private handleSnapshot(m: Message): void {
    const snap = m.snapshot!;
    const idx = snap.metadata.index;
    if (idx <= this.commit) {
      this.send({ type: 'MsgAppResp', to: m.from, index: this.commit }, true);
      return;
    }
    if (this.safeTerm(idx) === snap.metadata.term) {
      this.commit = idx;
    } else {
      this.pendingSnapshot = snap;
      this.unstable = [];
      this.unstableOffset = idx + 1;
      this.commit = idx;
      this.confState = snap.metadata.confState;
    }
    this.send({ type: 'MsgAppResp', to: m.from, index: this.lastIndex() }, true);
  }
  private handleAppendResp(m: Message): void {
    if (this.role !== 'leader') return;
    const pr = this.progress.get(m.from);
    if (pr === undefined) return;
    pr.recentActive = true;
    if (m.reject) {
      pr.next = Math.max(1, Math.min(m.rejectHint + 1, m.index));
      this.sendAppend(m.from);
      return;
    }
    if (m.index > pr.match) {
      pr.match = m.index;
      if (pr.pendingSnapshot > 0 && pr.match >= pr.pendingSnapshot) pr.pendingSnapshot = 0;
    }
    pr.next = Math.max(pr.next, pr.match + 1);
    this.maybeCommit();
    if (pr.match < this.lastIndex() && pr.next > this.lastIndex()) pr.next = pr.match + 1;
    if (pr.next <= this.lastIndex()) this.sendAppend(m.from);
    if (this.leadTransferee === m.from && pr.match === this.lastIndex()) this.send({ type: 'MsgTimeoutNow', to: m.from });
  }
  private handleHeartbeatResp(m: Message): void {
    if (this.role !== 'leader') return;
    const pr = this.progress.get(m.from);
    if (pr === undefined) return;
    pr.recentActive = true;
    if (pr.match < this.lastIndex()) {
      pr.next = pr.match + 1;
      this.sendAppend(m.from);
    }
    if (m.context === undefined) return;
    const key = utf8Decode(m.context);
    const at = this.pendingReads.findIndex((r) => utf8Decode(r.ctx) === key);
    if (at < 0) return;
    const read = this.pendingReads[at]!;
    read.acks.add(m.from);
    if (read.acks.size < this.quorum()) return;
    for (const r of this.pendingReads.splice(0, at + 1)) this.readStates.push({ index: r.index, context: r.ctx });
  }
  private maybeCommit(): void {
    const matches = this.voters().map((v) => this.progress.get(v)?.match ?? 0).sort((a, b) => b - a);
    const n = matches[this.quorum() - 1] ?? 0;
    if (n > this.commit && this.safeTerm(n) === this.term) {
      this.commit = n;
      const waiting = this.readsBeforeCommit;
      this.readsBeforeCommit = [];
      for (const r of waiting) this.readIndex(r.ctx, r.mode);
    }
  }
}
