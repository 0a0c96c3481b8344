/**
 * The Store's counters and its stats() view, for operators (/metrics) and tests. The round loop
 * only bumps plain numbers here; everything else is read when someone asks.
 */
import type { Ready } from '@ringkv/raft';
import type { StateRole } from '@ringkv/raft';
import type { NodeId } from '@ringkv/stdx';
import { NO_NODE } from '@ringkv/stdx';
import type { KvEngine } from '@ringkv/storage';
import type { Group } from './group';

export interface PartitionStats {
  readonly partition: number;
  readonly role: StateRole;
  readonly term: number;
  readonly leader: number | null;
  readonly commit: number;
  readonly applied: number;
  /** Committed entries not yet in the KV engine. */
  readonly applyLagEntries: number;
  readonly lastIndex: number;
  /** The first index the log still holds (the compaction point + 1). */
  readonly firstIndex: number;
  /** Bytes of entries the log holds in memory (bounded by compaction). */
  readonly logBytes: number;
  /** How stale a bounded stale read here would be (replica-freshness.ts); null: cannot tell. */
  readonly stalenessMs: number | null;
}

export interface StoreStats {
  /** Writes proposed and not yet answered, over all partitions. */
  readonly proposalsInFlight: number;
  /** Bytes of those writes' commands (bounded by inflightProposalBytesMax). */
  readonly proposalBytesInFlight: number;
  /** Reads waiting for a ReadIndex round or for the apply. */
  readonly readsInFlight: number;
  readonly watchers: number;
  /** Round-loop iterations since start. */
  readonly rounds: number;
  /** Raft log writes (one per round with something to persist). */
  readonly logWrites: number;
  /** Of those, the ones fsynced (Raft's mustSync: new entries, term, vote, snapshot, compaction). */
  readonly logSyncs: number;
  readonly logEntriesWritten: number;
  /** Payload bytes of the entries written (not counting the log's own framing). */
  readonly logEntryBytesWritten: number;
  /** Committed entries applied to the KV engine. */
  readonly entriesApplied: number;
  /** Of those, entries a leader applied in the round during whose log write it learned their
   *  commit (append responses stepped on arrival), instead of in the next round. */
  readonly entriesAppliedInCommitRound: number;
  /** Time spent inside rounds, by the Store's clock (ms). */
  readonly roundMs: number;
  /** Time from each log write's start until it landed, summed over `logWrites` (ms): the round's
   *  critical wait, the thread-pool hand-off and LevelDB's write and fsync together. */
  readonly logWriteMs: number;
  /** KV engine writes of the apply (non-empty ones; a round makes one or two). */
  readonly kvWrites: number;
  /** Time from each of those writes' start until it landed, summed (ms). */
  readonly kvWriteMs: number;
  /** Times a hosted partition learned of a different leader. */
  readonly leaderChanges: number;
  /** Times a hosted replica stood for election (became candidate). */
  readonly elections: number;
  readonly snapshotsSent: number;
  readonly snapshotsReceived: number;
  /** Client writes that arrived again (same session and seq) while the first was still in flight
   *  on this leader, and waited for its answer instead of being proposed again. */
  readonly retriesJoined: number;
  /** Partition logs compacted (each with a synced write of both engines). */
  readonly logCompactions: number;
  readonly cache: ReturnType<KvEngine['cacheStats']>;
  /** The partitions this node hosts, in partition order. */
  readonly partitions: readonly PartitionStats[];
}

/** Monotonic counters the Store bumps as it works. */
export class StoreCounters {
  rounds = 0;
  logWrites = 0;
  logSyncs = 0;
  logEntriesWritten = 0;
  logEntryBytesWritten = 0;
  entriesApplied = 0;
  entriesAppliedInCommitRound = 0;
  roundMs = 0;
  logWriteMs = 0;
  kvWrites = 0;
  kvWriteMs = 0;
  leaderChanges = 0;
  elections = 0;
  snapshotsSent = 0;
  snapshotsReceived = 0;
  retriesJoined = 0;
  logCompactions = 0;

  /** A round wrote its log batch (empty batches are not writes), taking `ms` until it landed. */
  onLogWrite(readies: ReadonlyArray<{ rd: Ready }>, batchWasEmpty: boolean, synced: boolean, ms: number): void {
    this.rounds++;
    if (batchWasEmpty) return;
    this.logWrites++;
    this.logWriteMs += ms;
    if (synced) this.logSyncs++;
    for (const { rd } of readies) {
      this.logEntriesWritten += rd.entries.length;
      for (const e of rd.entries) this.logEntryBytesWritten += e.data.length;
    }
  }

  /** The apply wrote a KV batch (empty batches are not writes), taking `ms` until it landed. */
  onKvWrite(batchWasEmpty: boolean, ms: number): void {
    if (batchWasEmpty) return;
    this.kvWrites++;
    this.kvWriteMs += ms;
  }

  /** Before the group takes a new soft state. */
  onSoftState(g: Group, role: StateRole, leader: NodeId): void {
    if (leader !== g.leader && leader !== NO_NODE) this.leaderChanges++;
    if (role === 'candidate' && g.role !== 'candidate') this.elections++;
  }
}

export function partitionStats(g: Group, stalenessMs: number): PartitionStats {
  const raft = g.raft.raft;
  const commit = raft.raftLog.committed;
  return {
    partition: g.partition,
    role: raft.state,
    term: raft.term,
    leader: g.leader === NO_NODE ? null : g.leader,
    commit,
    applied: g.kvApplied,
    applyLagEntries: Math.max(0, commit - g.kvApplied),
    lastIndex: raft.raftLog.lastIndex(),
    firstIndex: g.log.firstIndex(),
    logBytes: g.log.sizeBytes,
    stalenessMs: Number.isFinite(stalenessMs) ? stalenessMs : null,
  };
}
