import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KEY_BYTES, VALUE_BYTES, BenchRandom, keyAt, makeValue } from '../src/data';
import { ETCD_BINARY, etcdDriver, startEtcdCluster } from '../src/etcd';
import { formatSummary, formatTable } from '../src/report';
import { parseSamples } from '../src/server-counters';
import { runWorkload } from '../src/workload';
import type { WorkloadResult } from '../src/workload';

describe('data', () => {
  it('keys are 16 bytes and values 128 bytes', () => {
    expect(Buffer.byteLength(keyAt(0))).toBe(KEY_BYTES);
    expect(Buffer.byteLength(keyAt(999_999))).toBe(KEY_BYTES);
    expect(Buffer.byteLength(makeValue(new BenchRandom(1)))).toBe(VALUE_BYTES);
    expect(keyAt(1)).not.toBe(keyAt(2));
  });

  it('values take the size asked for (--value-bytes), the same for the same seed', () => {
    for (const size of [1, 4096, 65_536]) expect(Buffer.byteLength(makeValue(new BenchRandom(7), size))).toBe(size);
    expect(makeValue(new BenchRandom(7), 4096)).toBe(makeValue(new BenchRandom(7), 4096));
    expect(makeValue(new BenchRandom(7), 4096)).not.toBe(makeValue(new BenchRandom(8), 4096));
  });
});

describe('runWorkload', () => {
  it('keeps `workers` requests in flight, counts only measured successes, and reports percentiles', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const result = await runWorkload({ workers: 8, durationMs: 300, warmupMs: 50 }, async (_w, i) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      if (i % 10 === 9) throw new Error('refused');
    });
    expect(maxInFlight).toBe(8);
    expect(result.ops).toBeGreaterThan(0);
    expect(result.errors).toBeGreaterThan(0);
    expect(result.errors).toBeLessThan(result.ops);
    expect(result.firstError).toBe('Error: refused');
    expect(result.opsPerSec).toBeCloseTo((result.ops / 300) * 1000, 5);
    expect(result.p50Ms).toBeGreaterThanOrEqual(4);
    expect(result.p99Ms).toBeGreaterThanOrEqual(result.p50Ms);
    // 8 workers each ~5 ms per op: at most ~1600 ops/s
    expect(result.opsPerSec).toBeLessThan(1700);
  });
});

describe('formatTable', () => {
  const r = (opsPerSec: number, p99Ms: number): WorkloadResult => ({ ops: 1, errors: 0, elapsedMs: 1, opsPerSec, p50Ms: 1, p99Ms, maxMs: p99Ms });
  it('prints both stores and the throughput and p99 ratios', () => {
    const table = formatTable(['put'], [
      { store: 'RingKV', results: new Map([['put', r(4000, 10)]]) },
      { store: 'etcd', results: new Map([['put', r(1000, 40)]]) },
    ]);
    const row = table.split('\n')[1]!;
    expect(row).toContain('4000');
    expect(row).toContain('1000');
    expect(row.trim().split(/\s+/).slice(-2)).toEqual(['4.00x', '4.00x']);
  });
});

describe('formatSummary', () => {
  const r = (opsPerSec: number, p99Ms: number): WorkloadResult => ({ ops: 1, errors: 0, elapsedMs: 1, opsPerSec, p50Ms: 1, p99Ms, maxMs: p99Ms });
  const round = (ringkv: WorkloadResult, etcd: WorkloadResult) => [
    { store: 'RingKV', results: new Map([['put', ringkv]]) },
    { store: 'etcd', results: new Map([['put', etcd]]) },
  ];
  it('gives every round ratio, their median and the rounds with the lower p99', () => {
    const summary = formatSummary(['put'], [round(r(3000, 30), r(1000, 40)), round(r(2000, 50), r(2000, 40)), round(r(4000, 20), r(1000, 40)), round(r(1000, 20), r(1000, 40))]);
    const row = summary.split('\n')[1]!;
    expect(row).toContain('3.00x 1.00x 4.00x 1.00x');
    expect(row).toContain('median 2.00x');
    expect(row).toContain('p99 lower in 3/4');
  });
  it('leaves out rounds where a store has no result', () => {
    const summary = formatSummary(['put'], [round(r(3000, 30), r(1000, 40)), [{ store: 'etcd', results: new Map([['put', r(1000, 40)]]) }]]);
    expect(summary.split('\n')[0]).toContain('over 1 round(s)');
    expect(summary.split('\n')[1]).toContain('median 3.00x, p99 lower in 1/1');
  });
});

describe('parseSamples (node counters from /metrics)', () => {
  it('reads unlabelled samples and skips comments and labelled ones', () => {
    const samples = parseSamples('# HELP x y\n# TYPE x counter\nringkv_store_rounds_total 42\nringkv_partition_role{partition="1",role="leader"} 1\nringkv_partitions_led 5\n');
    expect(samples.get('ringkv_store_rounds_total')).toBe(42);
    expect(samples.get('ringkv_partitions_led')).toBe(5);
    expect(samples.size).toBe(2);
  });
});

describe.skipIf(!existsSync(ETCD_BINARY))('etcd cluster (needs Debian etcd-server)', () => {
  it('starts 3 members on loopback, serves writes and reads through the driver, and stops', async () => {
    const cluster = await startEtcdCluster(3);
    try {
      expect(cluster.clientUrls).toHaveLength(3);
      expect(cluster.version).toMatch(/^3\.4\./);
      const driver = etcdDriver(cluster);
      await driver.put('bench-test', 'v');
      await driver.get('bench-test');
      await driver.close();
    } finally {
      await cluster.stop();
    }
  }, 60_000);
});
