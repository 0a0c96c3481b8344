/** The nodes' counters line: deltas per operation and the average waits per round and write. */
import { describe, expect, it } from 'vitest';
import type { CounterSnapshot } from '../src/server-counters';
import { YOUNG_GC_SECONDS, describeCounters, labelledSample, parseSamples } from '../src/server-counters';

const snapshot = (values: Record<string, number>, led: number[] = [5, 5, 6], loopDelayMaxMs: number[] = [0, 0, 0]): CounterSnapshot => ({ totals: new Map(Object.entries(values)), led, loopDelayMaxMs });

describe('parseSamples', () => {
  it('reads unlabelled samples and skips comments and labelled series', () => {
    const samples = parseSamples(['# HELP x y', 'ringkv_store_rounds_total 12', 'ringkv_partition_term{partition="0"} 3', 'ringkv_store_log_write_seconds_total 0.25', ''].join('\n'));
    expect([...samples]).toEqual([
      ['ringkv_store_rounds_total', 12],
      ['ringkv_store_log_write_seconds_total', 0.25],
    ]);
  });
});

describe('labelledSample', () => {
  it('reads the one series asked for, labels and all', () => {
    const text = [
      '# TYPE ringkv_process_nodejs_gc_duration_seconds histogram',
      'ringkv_process_nodejs_gc_duration_seconds_sum{kind="major"} 0.5',
      'ringkv_process_nodejs_gc_duration_seconds_sum{kind="minor"} 1.25',
      'ringkv_process_nodejs_gc_duration_seconds_count{kind="minor"} 300',
    ].join('\n');
    expect(labelledSample(text, YOUNG_GC_SECONDS)).toBe(1.25);
    expect(labelledSample(text, 'ringkv_process_nodejs_gc_duration_seconds_sum{kind="weakcb"}')).toBeUndefined();
  });
});

describe('describeCounters', () => {
  it('gives counts per operation (KV writes too) and milliseconds per round, log write and KV write', () => {
    const before = snapshot({ ringkv_store_rounds_total: 100, ringkv_store_log_writes_total: 90, ringkv_store_log_syncs_total: 80, ringkv_store_log_entries_written_total: 1000, ringkv_store_round_seconds_total: 1, ringkv_store_log_write_seconds_total: 0.5, ringkv_store_kv_writes_total: 10, ringkv_store_kv_write_seconds_total: 0.1, ringkv_kv_queue_flushes_total: 3 });
    const after = snapshot({ ringkv_store_rounds_total: 300, ringkv_store_log_writes_total: 290, ringkv_store_log_syncs_total: 280, ringkv_store_log_entries_written_total: 4600, ringkv_store_round_seconds_total: 1.7, ringkv_store_log_write_seconds_total: 0.9, ringkv_store_kv_writes_total: 260, ringkv_store_kv_write_seconds_total: 0.6, ringkv_kv_queue_flushes_total: 13 });
    const line = describeCounters(before, { ...after, loopDelayMaxMs: [12.4, 1150.2, 30] }, 1000);
    expect(line).toContain('leader changes 0, elections 0');
    expect(line).toContain('rounds/op 0.20');
    expect(line).toContain('log writes/op 0.20');
    expect(line).toContain('KV writes/op 0.25');
    expect(line).toContain('KV writes per LevelDB write 25');
    expect(line).toContain('entries/fsync 18.00');
    expect(line).toContain('ms per round 3.50');
    expect(line).toContain('ms per log write 2.00');
    expect(line).toContain('ms per KV write 2.00');
    expect(line).toContain('young-GC pause µs/op 0.0');
    expect(line).toContain('led 5/5/6');
    // The workload's worst stall per node: the snapshot after it, not a difference.
    expect(line).toContain('event-loop delay max 12/1150/30 ms');
  });

  it('says when no KV queue went to LevelDB (the queue is off)', () => {
    const line = describeCounters(snapshot({ ringkv_store_kv_writes_total: 10 }), snapshot({ ringkv_store_kv_writes_total: 300 }), 1000);
    expect(line).toContain('KV writes per LevelDB write -');
  });

  it('gives the young-generation GC pauses of all nodes per operation', () => {
    const line = describeCounters(snapshot({ [YOUNG_GC_SECONDS]: 2 }), snapshot({ [YOUNG_GC_SECONDS]: 2.5 }), 10_000);
    expect(line).toContain('young-GC pause µs/op 50.0');
  });

  it('tells a leader change from an election', () => {
    const line = describeCounters(snapshot({ ringkv_store_leader_changes_total: 4, ringkv_store_elections_total: 1 }), snapshot({ ringkv_store_leader_changes_total: 10, ringkv_store_elections_total: 3 }), 100);
    expect(line).toContain('leader changes 6, elections 2');
  });

  it('prints a dash where nothing happened', () => {
    const line = describeCounters(snapshot({}), snapshot({}), 0);
    expect(line).toContain('rounds/op -');
    expect(line).toContain('ms per log write -');
    expect(line).toContain('ms per KV write -');
    expect(line).toContain('young-GC pause µs/op -');
  });
});
