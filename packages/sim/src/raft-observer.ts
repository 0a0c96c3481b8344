/**
 * The Raft invariants the simulator can check from outside the Store, after any event (the
 * system is quiescent between events, so a snapshot of every replica's status is consistent):
 *
 * - election safety: at most one leader per (partition, term), ever;
 * - per replica incarnation, commit and applied never go backwards, and applied <= commit;
 * - state machine safety: replicas of a partition at the same applied index hold the same state
 *   (KvEngine.digest), so they applied the same sequence.
 *
 * `converged` is the liveness condition: every partition has one leader that all its live
 * replicas know, and every replica has applied the same index and holds the same digest.
 */
import type { PartitionStatus } from '@ringkv/multiraft';

export interface ObservedReplica {
  readonly nodeId: number;
  /** Distinguishes a node's incarnations (its state restarts from disk after a crash). */
  readonly incarnation: number;
  partitions(): readonly PartitionStatus[];
  digest(partition: number): Promise<string>;
}

export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

export interface ObserverStats {
  observations: number;
  digestComparisons: number;
  leadersSeen: number;
}

export class RaftObserver {
  private readonly leaders = new Map<number, Map<number, number>>();
  private readonly progress = new Map<string, { commit: number; applied: number }>();
  readonly stats: ObserverStats = { observations: 0, digestComparisons: 0, leadersSeen: 0 };

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
    if (!compareDigests) return;
    for (const [partition, list] of byPartition) {
      const byApplied = new Map<number, ObservedReplica[]>();
      for (const { replica, status } of list) {
        const same = byApplied.get(status.applied) ?? [];
        same.push(replica);
        byApplied.set(status.applied, same);
      }
      for (const [applied, same] of byApplied) {
        if (same.length < 2) continue;
        const first = await same[0]!.digest(partition);
        for (const other of same.slice(1)) {
          this.stats.digestComparisons++;
          const digest = await other.digest(partition);
          if (digest !== first) {
            throw new InvariantViolation(
              `partition ${partition}: nodes ${same[0]!.nodeId} and ${other.nodeId} both applied index ${applied} but hold different state (${first.slice(0, 12)} vs ${digest.slice(0, 12)})`,
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
      if (applied.size !== 1) return `partition ${p}: replicas at applied indexes ${[...applied].join(', ')}`;
      const digests = new Set<string>();
      for (const h of here) digests.add(await h.replica.digest(p));
      if (digests.size !== 1) return `partition ${p}: replicas at one applied index hold ${digests.size} different states`;
    }
    return undefined;
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
