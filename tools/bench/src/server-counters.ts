/**
 * The RingKV nodes' own counters around a workload, scraped from each node's /metrics: what the
 * cluster did per operation (round-loop iterations, log writes and fsyncs, KV writes, entries per
 * fsync, writes a leader applied in the round that learned their commit, forwarded requests,
 * leader changes), how long a round, a log write and a KV write took on average (from start until
 * it landed: the waits a write's latency is made of), how leadership was spread, each node's
 * longest event-loop stall (a stall past the election timeout explains a leader change), and the
 * young-generation GC pauses per operation over all nodes (the main threads' stops for scavenges;
 * V8's helper threads scavenge in parallel on top). Throughput that differs between runs with the
 * same code usually differs here too.
 */

/** Counters summed over nodes; gauges per node. */
export interface CounterSnapshot {
  readonly totals: ReadonlyMap<string, number>;
  /** Partitions each node leads, in endpoint order. */
  readonly led: readonly number[];
  /**
   * Each node's longest event-loop delay (ms) since its previous scrape, in endpoint order: the
   * process default metrics reset their delay monitor on every scrape, so the snapshot taken after
   * a workload holds the worst stall of that workload, be it blocking code or a descheduled process.
   */
  readonly loopDelayMaxMs: readonly number[];
}

const TOTALS = [
  'ringkv_store_rounds_total',
  'ringkv_store_log_writes_total',
  'ringkv_store_log_syncs_total',
  'ringkv_store_log_entries_written_total',
  'ringkv_store_entries_applied_in_commit_round_total',
  'ringkv_forwarded_requests_total',
  'ringkv_store_leader_changes_total',
  'ringkv_store_elections_total',
  'ringkv_peer_frames_sent_total',
  'ringkv_store_round_seconds_total',
  'ringkv_store_log_write_seconds_total',
  'ringkv_store_kv_writes_total',
  'ringkv_store_kv_write_seconds_total',
  'ringkv_kv_queue_flushes_total',
] as const;

/** Seconds the nodes' main threads stopped for young-generation GCs (prom-client's default metrics). */
export const YOUNG_GC_SECONDS = 'ringkv_process_nodejs_gc_duration_seconds_sum{kind="minor"}';

/** The value of one labelled sample, written exactly as `series` (name and labels), or undefined. */
export function labelledSample(text: string, series: string): number | undefined {
  const at = text.indexOf(`\n${series} `);
  if (at < 0) return undefined;
  const end = text.indexOf('\n', at + 1);
  const value = Number(text.slice(at + series.length + 2, end < 0 ? undefined : end));
  return Number.isFinite(value) ? value : undefined;
}

/** Reads the unlabelled samples of a Prometheus text exposition. */
export function parseSamples(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.startsWith('#') || line.includes('{')) continue;
    const space = line.lastIndexOf(' ');
    if (space <= 0) continue;
    const value = Number(line.slice(space + 1));
    if (Number.isFinite(value)) samples.set(line.slice(0, space), value);
  }
  return samples;
}

export async function snapshotCounters(endpoints: readonly string[]): Promise<CounterSnapshot> {
  const texts = await Promise.all(endpoints.map(async (e) => (await fetch(`http://${e}/metrics`)).text()));
  const perNode = texts.map(parseSamples);
  const totals = new Map<string, number>();
  for (const name of TOTALS) totals.set(name, perNode.reduce((sum, s) => sum + (s.get(name) ?? 0), 0));
  totals.set(YOUNG_GC_SECONDS, texts.reduce((sum, t) => sum + (labelledSample(t, YOUNG_GC_SECONDS) ?? 0), 0));
  return {
    totals,
    led: perNode.map((s) => s.get('ringkv_partitions_led') ?? 0),
    loopDelayMaxMs: perNode.map((s) => (s.get('ringkv_process_nodejs_eventloop_lag_max_seconds') ?? 0) * 1000),
  };
}

/** One line: the deltas between two snapshots, per operation where that reads better. */
export function describeCounters(before: CounterSnapshot, after: CounterSnapshot, ops: number): string {
  const d = (name: (typeof TOTALS)[number] | typeof YOUNG_GC_SECONDS): number => (after.totals.get(name) ?? 0) - (before.totals.get(name) ?? 0);
  const perOp = (n: number): string => (ops > 0 ? (n / ops).toFixed(2) : '-');
  const ratio = (n: number, per: number): string => (per > 0 ? (n / per).toFixed(0) : '-');
  const syncs = d('ringkv_store_log_syncs_total');
  const msPer = (seconds: number, count: number): string => (count > 0 ? ((seconds * 1000) / count).toFixed(2) : '-');
  return [
    `rounds/op ${perOp(d('ringkv_store_rounds_total'))}`,
    `log writes/op ${perOp(d('ringkv_store_log_writes_total'))}`,
    `fsyncs/op ${perOp(syncs)}`,
    `KV writes/op ${perOp(d('ringkv_store_kv_writes_total'))}`,
    // The apply's KV writes are queued; LevelDB gets the queue every few hundred of them, or sooner
    // before a read, a sync or a snapshot needs it there. "-" when no queue went: the queue is off
    // (a per-op figure read 0.00 either way, which hid a queue that was never on).
    `KV writes per LevelDB write ${ratio(d('ringkv_store_kv_writes_total'), d('ringkv_kv_queue_flushes_total'))}`,
    `entries/fsync ${syncs > 0 ? (d('ringkv_store_log_entries_written_total') / syncs).toFixed(2) : '-'}`,
    `peer frames/op ${perOp(d('ringkv_peer_frames_sent_total'))}`,
    `applied in commit round/op ${perOp(d('ringkv_store_entries_applied_in_commit_round_total'))}`,
    `ms per round ${msPer(d('ringkv_store_round_seconds_total'), d('ringkv_store_rounds_total'))}`,
    `ms per log write ${msPer(d('ringkv_store_log_write_seconds_total'), d('ringkv_store_log_writes_total'))}`,
    `ms per KV write ${msPer(d('ringkv_store_kv_write_seconds_total'), d('ringkv_store_kv_writes_total'))}`,
    `young-GC pause µs/op ${ops > 0 ? ((d(YOUNG_GC_SECONDS) * 1e6) / ops).toFixed(1) : '-'}`,
    `forwarded ${d('ringkv_forwarded_requests_total')}`,
    // Both counted by every replica: one partition's new leader is 3 changes with 3 replicas; a
    // transfer to the preferred leader is a change without an election.
    `leader changes ${d('ringkv_store_leader_changes_total')}`,
    `elections ${d('ringkv_store_elections_total')}`,
    `led ${after.led.join('/')}`,
    `event-loop delay max ${after.loopDelayMaxMs.map((ms) => ms.toFixed(0)).join('/')} ms`,
  ].join(', ');
}
