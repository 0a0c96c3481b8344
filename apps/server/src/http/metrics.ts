/**
 * Prometheus metrics (/metrics). Counters that live in other components (the transport, the
 * engines, the Store's health) are read at scrape time, so the hot paths only bump plain numbers.
 */
import client from 'prom-client';
import type { Health } from '@ringkv/multiraft';
import type { TransportStats } from '../transport';

export interface MetricSources {
  readonly transport: () => TransportStats;
  readonly health: () => Health;
  readonly cache: () => { hits: number; misses: number; sizeBytes: number; entries: number };
  readonly logCommits: () => number;
  readonly forwarded: () => number;
}

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
    counter('ringkv_raft_log_commits_total', 'Synced Raft log writes (one per round with work)', sources.logCommits);
    counter('ringkv_kv_cache_hits_total', 'KV value cache hits', () => sources.cache().hits);
    counter('ringkv_kv_cache_misses_total', 'KV value cache misses', () => sources.cache().misses);
    gauge('ringkv_kv_cache_bytes', 'Bytes held by the KV value cache', () => sources.cache().sizeBytes);
    counter('ringkv_forwarded_requests_total', 'Requests this node forwarded to a partition leader', sources.forwarded);
    gauge('ringkv_partitions_hosted', 'Partitions with a replica on this node', () => sources.health().partitionsHosted);
    gauge('ringkv_partitions_with_leader', 'Hosted partitions whose leader is known', () => sources.health().partitionsWithLeader);
    gauge('ringkv_partitions_led', 'Partitions this node leads', () => sources.health().partitionsLed);
  }
}
