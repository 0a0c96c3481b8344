/**
 * How stale a replica's applied state may be, for `stale` reads with a `maxStalenessMs` bound.
 *
 * Definition. A replica is "in sync as of local time T" when its KV engine holds every write
 * that was committed in its partition before T. Its staleness is `now - T` for the latest such T
 * it can prove (Infinity if none, e.g. right after a restart). A bounded stale read is served
 * only while staleness <= maxStalenessMs, so it reflects every write acknowledged more than
 * maxStalenessMs ago (plus the caveat below).
 *
 * The proof, without synchronized clocks:
 *  - On the leader: when a quorum of voters (the leader counts itself) have answered it in its
 *    current term since time Q (MsgAppResp / MsgHeartbeatResp of that term), no newer leader can
 *    have committed anything before Q: a newer term needs votes from a quorum, which shares a voter
 *    with ours, and that voter answered us (in our term) before it could vote in a newer one.
 *    So the leader's commit index C covers every write committed before Q, provided C is
 *    authoritative: an entry of the leader's own term is committed (a fresh leader's commit index
 *    can lag the one its predecessor reached). Once kvApplied >= C, the leader is in sync as of Q.
 *  - On a follower: the leader attaches (C, ageMs = sendTime - Q) to every MsgApp and MsgHeartbeat
 *    it sends (Raft's own heartbeat commit is min(match, commit), which cannot tell a lagging
 *    follower that it lags). A follower that receives it at local time R is in sync as of
 *    R - ageMs once its kvApplied >= C. Only durations cross the network, never clock readings.
 *
 * Caveat, stated honestly: the proof dates Q by when the answers ARRIVED, and a follower dates it
 * by when the leader's message arrived; the one-way delays of those two messages (sub-millisecond
 * on a LAN, more if frames queue) are not counted, so the staleness reported is low by them.
 * Clock rate drift between nodes over ageMs is likewise ignored (ageMs is a heartbeat or two).
 *
 * This file only keeps the evidence; the Store feeds it what arrives and asks it at read time.
 */
import type { ConfState, Message } from '@ringkv/raft';
import type { Clock } from '@ringkv/stdx';
import type { Group } from './group';

/** What a leader tells its followers with each append and heartbeat (see above). */
export interface LeaderSync {
  /** The leader's commit index, authoritative (an entry of its term is committed). */
  readonly commit: number;
  /** How long before sending this a quorum had last answered the leader in its term. */
  readonly ageMs: number;
}

/** "Every write committed before local time atMs has an index <= commit." */
export interface Evidence {
  readonly atMs: number;
  readonly commit: number;
}

/** Evidence waiting for the apply to catch up, at most this many per partition. */
export const PENDING_MAX = 32;

/** One partition's evidence (exported for its tests). */
export class PartitionFreshness {
  syncedAtMs = -Infinity;
  /** Pareto frontier of evidence not yet covered by kvApplied: ascending commit and atMs. */
  readonly pending: Evidence[] = [];
  /** Leader only: when each voter last answered in `ackTerm`; `ackStamp` counts the changes. */
  readonly acks = new Map<number, number>();
  ackTerm = 0;
  ackStamp = 0;
  /**
   * The leader's last (Q, C), valid while acks, commit, term and voters stay the same: leaders
   * attach it to every append and heartbeat, so it is not recomputed per message. `atMs` is
   * +Infinity when this node alone is a quorum (then Q is always now).
   */
  cached: { stamp: number; commit: number; term: number; conf: ConfState; atMs: number } | undefined;

  /** Folds in one piece of evidence. In place, without a closure or a sort: a follower does this
   *  for every append and heartbeat it receives. */
  note(e: Evidence, kvApplied: number): void {
    if (e.atMs <= this.syncedAtMs) return;
    const pending = this.pending;
    if (e.commit <= kvApplied) {
      this.syncedAtMs = e.atMs;
      let kept = 0;
      for (let i = 0; i < pending.length; i++) if (pending[i]!.atMs > e.atMs) pending[kept++] = pending[i]!;
      pending.length = kept;
      return;
    }
    // Skip the new evidence if something pending dominates it (no earlier, no higher commit);
    // drop what it dominates (no later, no lower commit).
    for (let i = 0; i < pending.length; i++) if (pending[i]!.atMs >= e.atMs && pending[i]!.commit <= e.commit) return;
    let kept = 0;
    for (let i = 0; i < pending.length; i++) {
      const p = pending[i]!;
      if (!(p.atMs <= e.atMs && p.commit >= e.commit)) pending[kept++] = p;
    }
    pending.length = kept;
    // Insert in commit order, after equal commits.
    let at = kept;
    while (at > 0 && pending[at - 1]!.commit > e.commit) at--;
    pending.push(e);
    for (let i = pending.length - 1; i > at; i--) pending[i] = pending[i - 1]!;
    pending[at] = e;
    // Forgetting evidence only makes the replica look staler than it is, never fresher.
    if (pending.length > PENDING_MAX) pending.pop();
  }

  /** Evidence the apply has caught up with becomes the sync point. */
  settle(kvApplied: number): void {
    while (this.pending.length > 0 && this.pending[0]!.commit <= kvApplied) {
      const e = this.pending.shift()!;
      if (e.atMs > this.syncedAtMs) this.syncedAtMs = e.atMs;
    }
  }
}

export class ReplicaFreshness {
  private readonly partitions = new Map<number, PartitionFreshness>();
  /**
   * The clock read once per round, for what happens inside it (answers stepped, proofs attached):
   * a clock read per message would cost more than the rest of the bookkeeping. Answers are thus
   * dated a little early (conservative); a proof's age is short by the time from the round's start
   * to the send (sub-millisecond: the frames leave before the log write), which the caveat above
   * counts with the other delays. Undefined until the first beginRound(): read the clock each time.
   */
  private roundNowMs: number | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly self: number,
  ) {}

  /** The round loop starts a round. */
  beginRound(): void {
    this.roundNowMs = this.clock.nowMs();
  }

  /**
   * A message from a peer, before Raft steps it: a leader notes its voters' answers; any replica
   * notes the sync evidence a leader attached.
   */
  onInbound(g: Group, message: Message, sync: LeaderSync | undefined): void {
    const raft = g.raft.raft;
    if (raft.state === 'leader' && message.term === raft.term && (message.type === 'MsgAppResp' || message.type === 'MsgHeartbeatResp')) {
      const f = this.of(g.partition);
      if (f.ackTerm !== raft.term) {
        f.acks.clear();
        f.ackTerm = raft.term;
      }
      f.acks.set(message.from, this.roundNowMs ?? this.clock.nowMs());
      f.ackStamp++;
    }
    if (sync !== undefined) this.of(g.partition).note({ atMs: (this.roundNowMs ?? this.clock.nowMs()) - sync.ageMs, commit: sync.commit }, g.kvApplied);
  }

  /** What a leader attaches to its appends and heartbeats; undefined when it can prove nothing. */
  leaderSync(g: Group, message: Message): LeaderSync | undefined {
    if (message.type !== 'MsgApp' && message.type !== 'MsgHeartbeat') return undefined;
    const nowMs = this.roundNowMs ?? this.clock.nowMs();
    const evidence = this.leaderEvidence(g, nowMs);
    return evidence === undefined ? undefined : { commit: evidence.commit, ageMs: Math.max(0, nowMs - evidence.atMs) };
  }

  /** How far behind the partition this replica's applied state may be (ms; Infinity: unknown). */
  stalenessMs(g: Group): number {
    const f = this.of(g.partition);
    const own = this.leaderEvidence(g, this.clock.nowMs());
    if (own !== undefined) f.note(own, g.kvApplied);
    f.settle(g.kvApplied);
    return this.clock.nowMs() - f.syncedAtMs;
  }

  /** A leader with an authoritative commit index and a quorum's answers: (Q, C) as above. */
  private leaderEvidence(g: Group, nowMs: number): Evidence | undefined {
    const raft = g.raft.raft;
    if (raft.state !== 'leader') return undefined;
    const commit = raft.raftLog.committed;
    if (raft.raftLog.termOrUndefined(commit) !== raft.term) return undefined;
    const f = this.of(g.partition);
    if (f.ackTerm !== raft.term) {
      f.acks.clear();
      f.ackTerm = raft.term;
      f.ackStamp++;
    }
    const conf = g.confState;
    let c = f.cached;
    if (c === undefined || c.stamp !== f.ackStamp || c.commit !== commit || c.term !== raft.term || c.conf !== conf) {
      let atMs = this.quorumContactMs(conf.voters, f.acks);
      if (conf.votersOutgoing.length > 0) atMs = Math.min(atMs, this.quorumContactMs(conf.votersOutgoing, f.acks));
      f.cached = c = { stamp: f.ackStamp, commit, term: raft.term, conf, atMs };
    }
    if (c.atMs === -Infinity) return undefined;
    return { atMs: c.atMs === Infinity ? nowMs : c.atMs, commit };
  }

  /**
   * The latest time by which a majority of `voters` had answered. This node counts as answering
   * now, which is later than any recorded answer: +Infinity stands for it (the caller reads the
   * clock only if it decides). Sorts a scratch array in place: no allocation per call.
   */
  private quorumContactMs(voters: readonly number[], acks: ReadonlyMap<number, number>): number {
    const n = voters.length;
    if (n === 0) return -Infinity;
    const times = this.scratch.length >= n ? this.scratch : (this.scratch = new Float64Array(n));
    for (let i = 0; i < n; i++) {
      const v = voters[i]!;
      times[i] = v === this.self ? Infinity : (acks.get(v) ?? -Infinity);
    }
    // Insertion sort, descending: voter sets are a handful.
    for (let i = 1; i < n; i++) {
      const t = times[i]!;
      let j = i - 1;
      while (j >= 0 && times[j]! < t) {
        times[j + 1] = times[j]!;
        j--;
      }
      times[j + 1] = t;
    }
    return times[Math.floor(n / 2)]!;
  }

  private scratch = new Float64Array(8);

  private of(partition: number): PartitionFreshness {
    let f = this.partitions.get(partition);
    if (f === undefined) this.partitions.set(partition, (f = new PartitionFreshness()));
    return f;
  }
}
