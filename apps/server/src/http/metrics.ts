/**
 * Prometheus metrics (/metrics). Counters that live in other components (the transport, the
 * engines, the Store's health) are read at scrape time, so the hot paths only bump plain numbers.
 */
import client from 'prom-client';
import type { Health, StoreStats } from '@ringkv/multiraft';
import type { SegmentLogStats } from '@ringkv/storage';
import type { TransportStats } from '../transport';

export interface MetricSources {
  readonly transport: () => TransportStats;
  readonly health: () => Health;
  readonly cache: () => { hits: number; misses: number; sizeBytes: number; entries: number };
  /** The KV engine's write queue: LevelDB writes that carried it, operations in it now. */
  readonly kvQueue: () => { flushes: number; queuedOps: number };
  readonly log: () => Pick<SegmentLogStats, 'commits' | 'bytesPreallocated' | 'preallocationError'>;
  readonly forwarded: () => number;
  readonly store: () => StoreStats;
}

/** One Store.stats() per scrape, however many metrics read it (it walks every partition). */
function perScrape<T>(read: () => T, maxAgeMs = 10): () => T {
  let value: T | undefined;
  let readAtMs = -Infinity;
  return () => {
    const nowMs = Date.now();
    if (value === undefined || nowMs - readAtMs > maxAgeMs) {
      value = read();
      readAtMs = nowMs;
    }
    return value;
  };
}

const ROLES = ['follower', 'preCandidate', 'candidate', 'leader'] as const;

export class NodeMetrics {
  readonly registry = new client.Registry();
  readonly httpDuration: client.Histogram<'route' | 'status'>;

  constructor(sources: MetricSources) {
    client.collectDefaultMetrics({ register: this.registry, prefix: 'ringkv_process_' });
    this.httpDuration = new client.Histogram({
      name: 'ringkv_http_request_duration_seconds',
      help: 'HTTP requests by route (trpc procedure or endpoint) and status',
      labelNames: ['route', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    const gauge = (name: string, help: string, read: () => number) =>
      new client.Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read());
        },
      });
    const counter = (name: string, help: string, read: () => number) =>
      // A counter read from a monotonic source: exposed as a gauge with a _total name would lie
      // about its type, so it is a Counter reset to the source's value at each scrape.
      new client.Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    counter('ringkv_peer_frames_sent_total', 'Peer frames written to sockets', () => sources.transport().framesSent);
    counter('ringkv_peer_frames_received_total', 'Peer frames received', () => sources.transport().framesReceived);
    counter('ringkv_peer_frames_dropped_total', 'Peer frames dropped (peer down or queue full; Raft retries)', () => sources.transport().framesDropped);
    counter('ringkv_peer_bytes_sent_total', 'Peer payload bytes sent', () => sources.transport().bytesSent);
    counter('ringkv_peer_bytes_received_total', 'Peer payload bytes received', () => sources.transport().bytesReceived);
    counter('ringkv_peer_connections_refused_total', 'Peer connections refused by a handshake check (either side)', () => sources.transport().connectionsRefused);
    counter('ringkv_peer_protocol_errors_total', 'Peer connections closed for bad frames', () => sources.transport().protocolErrors);
    counter('ringkv_raft_log_commits_total', 'Synced Raft log writes (one per round with work)', () => sources.log().commits);
    counter('ringkv_raft_log_preallocated_bytes_total', 'Zeros written and synced ahead of the Raft log records, so their fsyncs change no file size', () => sources.log().bytesPreallocated);
    gauge('ringkv_raft_log_preallocation_failed', '1 once writing zeros ahead of the Raft log failed (a full disk?): the log goes on without them', () => (sources.log().preallocationError === undefined ? 0 : 1));
    counter('ringkv_kv_cache_hits_total', 'KV value cache hits', () => sources.cache().hits);
    counter('ringkv_kv_cache_misses_total', 'KV value cache misses', () => sources.cache().misses);
    gauge('ringkv_kv_cache_bytes', 'Bytes held by the KV value cache', () => sources.cache().sizeBytes);
    counter('ringkv_kv_queue_flushes_total', 'LevelDB writes that carried the KV engine\'s queued apply batches (several rounds each)', () => sources.kvQueue().flushes);
    gauge('ringkv_kv_queue_ops', 'Operations queued in the KV engine, not yet handed to LevelDB', () => sources.kvQueue().queuedOps);
    counter('ringkv_forwarded_requests_total', 'Requests this node forwarded to a partition leader', sources.forwarded);
    gauge('ringkv_partitions_hosted', 'Partitions with a replica on this node', () => sources.health().partitionsHosted);
    gauge('ringkv_partitions_with_leader', 'Hosted partitions whose leader is known', () => sources.health().partitionsWithLeader);
    gauge('ringkv_partitions_led', 'Partitions this node leads', () => sources.health().partitionsLed);

    const store = perScrape(sources.store);
    gauge('ringkv_store_proposals_in_flight', 'Writes proposed and not yet answered', () => store().proposalsInFlight);
    gauge('ringkv_store_proposal_bytes_in_flight', 'Bytes of the writes proposed and not yet answered', () => store().proposalBytesInFlight);
    gauge('ringkv_store_reads_in_flight', 'Reads waiting for a ReadIndex round or for the apply', () => store().readsInFlight);
    gauge('ringkv_store_watchers', 'Watches served by this node', () => store().watchers);
    counter('ringkv_store_rounds_total', 'Round-loop iterations', () => store().rounds);
    counter('ringkv_store_log_writes_total', 'Raft log writes made by the round loop', () => store().logWrites);
    counter('ringkv_store_log_syncs_total', 'Raft log writes that were fsynced (new entries, term, vote, snapshot or compaction)', () => store().logSyncs);
    counter('ringkv_store_log_entries_written_total', 'Raft entries written to the log', () => store().logEntriesWritten);
    counter('ringkv_store_log_entry_bytes_written_total', 'Payload bytes of the Raft entries written', () => store().logEntryBytesWritten);
    counter('ringkv_store_entries_applied_total', 'Committed entries applied to the KV engine', () => store().entriesApplied);
    counter(
      'ringkv_store_entries_applied_in_commit_round_total',
      'Of those, entries a leader applied in the round during whose log write it learned their commit (not in the next round)',
      () => store().entriesAppliedInCommitRound,
    );
    counter('ringkv_store_round_seconds_total', 'Time spent inside round-loop iterations', () => store().roundMs / 1000);
    counter('ringkv_store_log_write_seconds_total', 'Time the Raft log writes took from start until they landed (thread-pool hand-off, LevelDB write, fsync)', () => store().logWriteMs / 1000);
    counter('ringkv_store_kv_writes_total', 'KV engine writes made by the apply (one or two per round with committed entries; queued, see ringkv_kv_queue_flushes_total)', () => store().kvWrites);
    counter('ringkv_store_kv_write_seconds_total', 'Time those KV writes took until the engine took them (at once when queued, unless the queue was full)', () => store().kvWriteMs / 1000);
    counter('ringkv_store_leader_changes_total', 'Times a hosted partition learned of a different leader', () => store().leaderChanges);
    counter('ringkv_store_elections_total', 'Times a hosted replica stood for election', () => store().elections);
    counter('ringkv_store_snapshots_sent_total', 'Partition snapshots sent to followers', () => store().snapshotsSent);
    counter('ringkv_store_snapshots_received_total', 'Partition snapshots installed', () => store().snapshotsReceived);
    counter('ringkv_store_log_compactions_total', 'Partition logs compacted', () => store().logCompactions);
    counter('ringkv_store_retries_joined_total', 'Client writes sent again while the first was in flight, answered with it instead of proposed again', () => store().retriesJoined);
    counter('ringkv_kv_session_cache_hits_total', 'Session table cache hits', () => store().cache.sessionHits);
    counter('ringkv_kv_session_cache_misses_total', 'Session table cache misses', () => store().cache.sessionMisses);

    const partitionGauge = (name: string, help: string, read: (p: StoreStats['partitions'][number]) => number) =>
      new client.Gauge({
        name,
        help,
        labelNames: ['partition'],
        registers: [this.registry],
        collect() {
          // Reset first: a partition that moved away must not keep its last value.
          this.reset();
          for (const p of store().partitions) this.set({ partition: String(p.partition) }, read(p));
        },
      });
    new client.Gauge({
      name: 'ringkv_partition_role',
      help: 'The role of this node in each hosted partition (1 for the current role)',
      labelNames: ['partition', 'role'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const p of store().partitions) for (const role of ROLES) this.set({ partition: String(p.partition), role }, p.role === role ? 1 : 0);
      },
    });
    partitionGauge('ringkv_partition_term', 'Raft term of each hosted partition', (p) => p.term);
    partitionGauge('ringkv_partition_commit_index', 'Raft commit index of each hosted partition', (p) => p.commit);
    partitionGauge('ringkv_partition_applied_index', 'Index applied to the KV engine, per hosted partition', (p) => p.applied);
    partitionGauge('ringkv_partition_log_bytes', 'Bytes of Raft log entries held in memory, per hosted partition', (p) => p.logBytes);
    partitionGauge('ringkv_partition_apply_lag_entries', 'Committed entries not yet applied, per hosted partition', (p) => p.applyLagEntries);
    partitionGauge(
      'ringkv_partition_staleness_seconds',
      'How stale a bounded stale read here would be, per hosted partition (+Inf: not known to be in sync)',
      (p) => (p.stalenessMs === null ? Infinity : p.stalenessMs / 1000),
    );
  }
}
