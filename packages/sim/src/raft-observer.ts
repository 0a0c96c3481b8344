/**
 * The Raft invariants the simulator can check from outside the Store, after any event (the
 * system is quiescent between events, so a snapshot of every replica's status is consistent):
 *
 * - election safety: at most one leader per (partition, term), ever;
 * - per replica incarnation, commit and applied never go backwards, and applied <= commit;
 * - state machine safety: replicas of a partition at the same applied index hold the same state
 *   (KvEngine.digest), so they applied the same sequence;
 * - log matching (§5.3): two replicas' persisted logs that hold an entry with the same index and
 *   term agree on every entry before it (checked over the last LOG_WINDOW indexes they share);
 * - committed entries never change: an entry a replica holds at or below its applied index is
 *   remembered as committed (index -> term); every later replica that has committed past it holds
 *   the same term there, and the leader of every later term holds it (leader completeness,
 *   §5.4). The memory keeps the last COMMITTED_MEMORY indexes per partition.
 *
 * `converged` is the liveness condition: every partition has one leader that all its live
 * replicas know, and every replica has applied the same index and holds the same digest.
 */
import type { PartitionStatus } from '@ringkv/multiraft';

/** The (index, term) view of one replica's persisted Raft log, read from memory. */
export interface ObservedLog {
  /** The first index whose term is known (the compaction point's index). */
  firstIndex(): number;
  lastIndex(): number;
  term(index: number): number;
}

export interface ReplicaDigest {
  readonly appliedIndex: number;
  readonly digest: string;
}

export interface ObservedReplica {
  readonly nodeId: number;
  /** Distinguishes a node's incarnations (its state restarts from disk after a crash). */
  readonly incarnation: number;
  partitions(): readonly PartitionStatus[];
  /** The replica's state digest and the applied index it covers, read together
   *  (KvEngine.appliedDigest); undefined when its stored state is known corrupt (not comparable). */
  digest(partition: number): Promise<ReplicaDigest | undefined>;
  /** The replica's log of `partition`, when the harness can see it (then the log checks run). */
  log?(partition: number): ObservedLog | undefined;
}

/** How many trailing shared indexes the log-matching check compares per pair of replicas. */
export const LOG_WINDOW = 64;
/** How many committed (index, term) pairs the observer remembers per partition. */
export const COMMITTED_MEMORY = 1_024;

export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

export interface ObserverStats {
  observations: number;
  digestComparisons: number;
  leadersSeen: number;
  logPairsCompared: number;
  committedChecked: number;
}

export class RaftObserver {
  private readonly leaders = new Map<number, Map<number, number>>();
  private readonly progress = new Map<string, { commit: number; applied: number }>();
  /** Per partition: index -> term of entries seen committed. */
  private readonly committed = new Map<number, Map<number, { term: number; seenInTerm: number }>>();
  private readonly committedHigh = new Map<number, number>();
  readonly stats: ObserverStats = { observations: 0, digestComparisons: 0, leadersSeen: 0, logPairsCompared: 0, committedChecked: 0 };

  /** Checks every invariant on the replicas' current state; throws InvariantViolation. */
  async observe(replicas: readonly ObservedReplica[], compareDigests: boolean): Promise<void> {
    this.stats.observations++;
    const byPartition = new Map<number, Array<{ replica: ObservedReplica; status: PartitionStatus }>>();
    for (const replica of replicas) {
      for (const status of replica.partitions()) {
        this.checkLeader(replica, status);
        this.checkProgress(replica, status);
        let list = byPartition.get(status.partition);
        if (list === undefined) byPartition.set(status.partition, (list = []));
        list.push({ replica, status });
      }
    }
    for (const [partition, list] of byPartition) this.checkLogs(partition, list);
    if (!compareDigests) return;
    for (const [partition, list] of byPartition) {
      // Grouped by the applied index each digest was read with, not the status's: the digests are
      // read after the statuses (awaiting storage), and a replica may apply more in between.
      const byApplied = new Map<number, Array<{ replica: ObservedReplica; digest: string }>>();
      for (const { replica } of list) {
        const read = await replica.digest(partition);
        if (read === undefined) continue;
        const same = byApplied.get(read.appliedIndex) ?? [];
        same.push({ replica, digest: read.digest });
        byApplied.set(read.appliedIndex, same);
      }
      for (const [applied, digests] of byApplied) {
        const first = digests[0]!;
        for (const other of digests.slice(1)) {
          this.stats.digestComparisons++;
          if (other.digest !== first.digest) {
            throw new InvariantViolation(
              `partition ${partition}: nodes ${first.replica.nodeId} and ${other.replica.nodeId} both applied index ${applied} but hold different state (${first.digest.slice(0, 12)} vs ${other.digest.slice(0, 12)})`,
            );
          }
        }
      }
    }
  }

  /** Liveness: a description of what has not converged yet, or undefined when all has. */
  async unconverged(replicas: readonly ObservedReplica[], partitions: number): Promise<string | undefined> {
    for (let p = 0; p < partitions; p++) {
      const here = replicas.flatMap((r) => r.partitions().filter((s) => s.partition === p).map((status) => ({ replica: r, status })));
      if (here.length === 0) return `partition ${p}: no live replica`;
      const leaders = new Set(here.map((h) => h.status.leader));
      if (leaders.size !== 1 || leaders.has(null)) return `partition ${p}: replicas disagree on the leader (${[...leaders].join(', ')})`;
      const applied = new Set(here.map((h) => h.status.applied));
      if (applied.size !== 1) {
        const where = here.map((h) => `node ${h.replica.nodeId} ${h.status.role} term ${h.status.term} commit ${h.status.commit} applied ${h.status.applied} last ${h.status.lastIndex}`);
        return `partition ${p}: replicas at applied indexes ${[...applied].join(', ')} (${where.join('; ')})`;
      }
      const digests = new Set<string>();
      for (const h of here) {
        const read = await h.replica.digest(p);
        if (read === undefined) continue;
        if (read.appliedIndex !== h.status.applied) return `partition ${p}: node ${h.replica.nodeId} applied more while its digest was read`;
        digests.add(read.digest);
      }
      if (digests.size !== 1) return `partition ${p}: replicas at one applied index hold ${digests.size} different states`;
    }
    return undefined;
  }

  private checkLogs(partition: number, list: ReadonlyArray<{ replica: ObservedReplica; status: PartitionStatus }>): void {
    const logs: Array<{ replica: ObservedReplica; status: PartitionStatus; log: ObservedLog }> = [];
    for (const { replica, status } of list) {
      const log = replica.log?.(partition);
      if (log !== undefined) logs.push({ replica, status, log });
    }
    // Committed entries first: what a replica committed must match what anyone committed before.
    let memory = this.committed.get(partition);
    if (memory === undefined) this.committed.set(partition, (memory = new Map()));
    for (const { replica, status, log } of logs) {
      // Applied, not commit: a follower's commit index may already cover entries whose write
      // (and the truncation of a stale suffix) is still in flight to its log.
      const hi = Math.min(status.applied, log.lastIndex());
      const lo = Math.max(log.firstIndex(), hi - LOG_WINDOW + 1);
      for (let i = lo; i <= hi; i++) {
        const term = log.term(i);
        const known = memory.get(i);
        this.stats.committedChecked++;
        if (known === undefined) memory.set(i, { term, seenInTerm: status.term });
        else if (known.term !== term) {
          throw new InvariantViolation(`partition ${partition}: the entry committed at index ${i} had term ${known.term}, but node ${replica.nodeId} committed term ${term} there`);
        } else if (status.term < known.seenInTerm) memory.set(i, { term, seenInTerm: status.term });
      }
      this.committedHigh.set(partition, Math.max(this.committedHigh.get(partition) ?? 0, hi));
    }
    // Leader completeness (§5.4.1): the leader of any term after an entry was committed holds it.
    // An entry seen applied by a replica in term T was committed in T or earlier, so leaders of
    // terms above T are checked (a deposed leader that has not heard of the new term is exempt).
    // A leader's persisted log may end early (it writes its own entries while followers do, and
    // a follower quorum can commit first), so past it only Raft's last index is checked.
    for (const { replica, status, log } of logs) {
      if (status.role !== 'leader') continue;
      const high = this.committedHigh.get(partition) ?? 0;
      for (let i = high; i >= Math.max(log.firstIndex(), high - LOG_WINDOW + 1); i--) {
        const known = memory.get(i);
        if (known === undefined || known.seenInTerm >= status.term) continue;
        if (i > status.lastIndex) {
          throw new InvariantViolation(`partition ${partition}: leader ${replica.nodeId} (term ${status.term}) lacks the entry committed at index ${i} (by term ${known.seenInTerm}); its log ends at ${status.lastIndex}`);
        }
        if (i <= log.lastIndex() && log.term(i) !== known.term) {
          throw new InvariantViolation(`partition ${partition}: leader ${replica.nodeId} (term ${status.term}) holds term ${log.term(i)} at index ${i}, where term ${known.term} was committed`);
        }
      }
    }
    const high = this.committedHigh.get(partition) ?? 0;
    if (memory.size > COMMITTED_MEMORY * 2) for (const i of memory.keys()) if (i <= high - COMMITTED_MEMORY) memory.delete(i);
    // Log matching over every pair.
    for (let a = 0; a < logs.length; a++) {
      for (let b = a + 1; b < logs.length; b++) this.checkLogMatching(partition, logs[a]!, logs[b]!);
    }
  }

  private checkLogMatching(partition: number, a: { replica: ObservedReplica; log: ObservedLog }, b: { replica: ObservedReplica; log: ObservedLog }): void {
    const hi = Math.min(a.log.lastIndex(), b.log.lastIndex());
    const lo = Math.max(a.log.firstIndex(), b.log.firstIndex(), hi - LOG_WINDOW + 1);
    // The highest shared index where both hold the same term: everything from lo up to it must match.
    let match = hi;
    while (match >= lo && a.log.term(match) !== b.log.term(match)) match--;
    if (match < lo) return;
    this.stats.logPairsCompared++;
    for (let i = match - 1; i >= lo; i--) {
      const ta = a.log.term(i);
      const tb = b.log.term(i);
      if (ta !== tb) {
        throw new InvariantViolation(
          `partition ${partition}: log matching broken: nodes ${a.replica.nodeId} and ${b.replica.nodeId} both hold term ${a.log.term(match)} at index ${match} but differ at index ${i} (terms ${ta} and ${tb})`,
        );
      }
    }
  }

  private checkLeader(replica: ObservedReplica, status: PartitionStatus): void {
    if (status.role !== 'leader') return;
    let terms = this.leaders.get(status.partition);
    if (terms === undefined) this.leaders.set(status.partition, (terms = new Map()));
    const known = terms.get(status.term);
    if (known === undefined) {
      terms.set(status.term, replica.nodeId);
      this.stats.leadersSeen++;
    } else if (known !== replica.nodeId) {
      throw new InvariantViolation(`partition ${status.partition}: two leaders in term ${status.term} (nodes ${known} and ${replica.nodeId})`);
    }
  }

  private checkProgress(replica: ObservedReplica, status: PartitionStatus): void {
    if (status.applied > status.commit) {
      throw new InvariantViolation(`partition ${status.partition} on node ${replica.nodeId}: applied ${status.applied} is past commit ${status.commit}`);
    }
    const key = `${replica.nodeId}#${replica.incarnation}/${status.partition}`;
    const before = this.progress.get(key);
    if (before !== undefined && (status.commit < before.commit || status.applied < before.applied)) {
      throw new InvariantViolation(
        `partition ${status.partition} on node ${replica.nodeId}: commit/applied went back from ${before.commit}/${before.applied} to ${status.commit}/${status.applied}`,
      );
    }
    this.progress.set(key, { commit: status.commit, applied: status.applied });
  }
}
