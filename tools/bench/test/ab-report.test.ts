/** The A/B comparison's parsing of bench output and its pair arithmetic. */
import { describe, expect, it } from 'vitest';
import { formatPairs, parseRun, summarizePairs } from '../src/ab-report';

const line = (workload: string, ops: number, cpu: number, errors = 0) =>
  `[bench] RingKV: ${workload}: ${ops} ops/s, p50 12.57 ms, p99 49.76 ms, errors ${errors}, client process CPU 19%, servers CPU 157% (~${cpu} µs/op)`;
const nodes = (workload: string, rounds: number) =>
  `[bench] RingKV: ${workload}: nodes: rounds/op ${rounds}, log writes/op 0.17, fsyncs/op 0.17, entries/fsync 17.63, peer frames/op 0.57`;

describe('parseRun', () => {
  it("reads RingKV's workload lines and their nodes lines, and nothing else", () => {
    const output = [
      '[bench] RingKV: starting a 3-node cluster',
      line('put', 4370, 358),
      nodes('put', 0.19),
      line('mix 50/50', 5398, 288),
      '[bench] etcd 3.4.23: put: 2977 ops/s, p50 18.93 ms, p99 53.76 ms, errors 0, client process CPU 69%, servers CPU 94% (~317 µs/op)',
      'put                                4370    12.57    49.76       0',
    ].join('\n');
    const run = parseRun(output);
    expect([...run.keys()]).toEqual(['put', 'mix 50/50']);
    expect(run.get('put')).toEqual({ opsPerSec: 4370, p50Ms: 12.57, p99Ms: 49.76, cpuUsPerOp: 358, roundsPerOp: 0.19 });
    expect(run.get('mix 50/50')).toEqual({ opsPerSec: 5398, p50Ms: 12.57, p99Ms: 49.76, cpuUsPerOp: 288 });
  });

  it("reads the nodes' average log write when their line has it", () => {
    const withTimes = `${nodes('put', 0.19)}, applied in commit round/op 0.21, ms per round 4.04, ms per log write 2.85, ms per KV write 1.99, forwarded 0`;
    const run = parseRun([line('put', 3358, 495), withTimes].join('\n'));
    expect(run.get('put')).toEqual({ opsPerSec: 3358, p50Ms: 12.57, p99Ms: 49.76, cpuUsPerOp: 495, roundsPerOp: 0.19, logWriteMs: 2.85 });
    expect(formatPairs([run], [run])).toContain('0.19 rounds/op, log write 2.85 ms');
  });

  it('refuses a run with errors', () => {
    expect(() => parseRun(line('put', 4370, 358, 3))).toThrow(/3 errors in put/);
  });
});

describe('summarizePairs', () => {
  const runOf = (ops: number, cpu: number) => parseRun(line('put', ops, cpu));

  it('gives the median ratios of B over A and the pairs B won', () => {
    const a = [runOf(1000, 400), runOf(1000, 400), runOf(1000, 400)];
    const b = [runOf(1100, 380), runOf(900, 420), runOf(1200, 300)];
    const [s] = summarizePairs(a, b);
    expect(s).toEqual({ workload: 'put', pairs: 3, medianThroughputRatio: 1.1, throughputWins: 2, medianCpuRatio: 0.95, cpuWins: 2 });
  });

  it('takes the mean of the middle two for an even number of pairs', () => {
    const [s] = summarizePairs([runOf(1000, 100), runOf(1000, 100)], [runOf(1100, 100), runOf(1300, 100)]);
    expect(s!.medianThroughputRatio).toBeCloseTo(1.2);
    expect(s!.throughputWins).toBe(2);
    expect(s!.cpuWins).toBe(0);
  });

  it('compares only workloads every run has, and needs as many runs of each side', () => {
    const both = parseRun([line('put', 1000, 100), line('mix 50/50', 1000, 100)].join('\n'));
    expect(summarizePairs([both], [runOf(1000, 100)]).map((s) => s.workload)).toEqual(['put']);
    expect(() => summarizePairs([both], [])).toThrow(/as many runs/);
  });

  it('formats a line per pair and the summary', () => {
    const text = formatPairs([runOf(1000, 400)], [runOf(1100, 380)]);
    expect(text).toContain('pair 1 put');
    expect(text).toMatch(/B\/A throughput median 1\.100x \(B higher in 1\/1\), CPU per op median 0\.950x \(B lower in 1\/1\)/);
  });
});
