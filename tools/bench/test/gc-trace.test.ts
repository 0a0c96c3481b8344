/** The `--gc-trace` figures: V8's --trace-gc-nvp scavenge lines summed per process and per operation. */
import { describe, expect, it } from 'vitest';
import { GcTrace, describeGc, emptyGcTotals, parseScavenge, sumGcTotals } from '../src/gc-trace';

// Shortened from a node's output under puts (V8 11.3, Node 20): the fields read, among others.
const SCAVENGE =
  '[11732:0x154c5910]    19049 ms: pause=0.9 mutator=28.9 gc=s reduce_memory=0 time_to_safepoint=0.00 scavenge=0.83 scavenge.roots=0.07 ' +
  'scavenge.parallel=0.57 background.scavenge.parallel=0.63 background.unmapper=0.00 total_size_before=125125800 allocated=7420856 ' +
  'promoted=22848 new_space_survived=1208784 promotion_ratio=0.3% average_survival_ratio=16.9% promotion_rate=2.6%';
const MARK_COMPACT = '[11732:0x154c5910]    15822 ms: pause=9.2 mutator=39.4 gc=mc reduce_memory=0 promoted=1000 new_space_survived=2000';

describe('parseScavenge', () => {
  it('reads a scavenge line and nothing else', () => {
    expect(parseScavenge(SCAVENGE)).toEqual({ pauseMs: 0.9, helpersMs: 0.63, promotedBytes: 22848, survivedBytes: 1208784 });
    expect(parseScavenge(MARK_COMPACT)).toBeUndefined();
    expect(parseScavenge('{"level":40,"msg":"gc=s in a log line is not a trace"}')).toBeUndefined();
  });
});

describe('GcTrace', () => {
  it('sums the scavenges of a stream cut anywhere, skipping other lines', () => {
    const text = ['{"level":30,"msg":"hi"}', SCAVENGE, MARK_COMPACT, SCAVENGE, ''].join('\n');
    for (const cut of [1, 7, 100, SCAVENGE.length, text.length - 1]) {
      const trace = new GcTrace();
      trace.feed(text.slice(0, cut));
      trace.feed(text.slice(cut));
      expect(trace.totals.scavenges).toBe(2);
      expect(trace.totals.promotedBytes).toBe(2 * 22848);
      expect(trace.totals.pauseMs).toBeCloseTo(1.8);
    }
    // A line is counted once it is whole.
    const partial = new GcTrace();
    partial.feed(SCAVENGE);
    expect(partial.totals.scavenges).toBe(0);
    partial.feed('\n');
    expect(partial.totals.scavenges).toBe(1);
  });
});

describe('describeGc', () => {
  it('gives the difference per operation and per node', () => {
    const before = emptyGcTotals();
    const after = sumGcTotals([
      { scavenges: 10, pauseMs: 30, helpersMs: 15, promotedBytes: 3 * 1024 * 1000, survivedBytes: 6 * 1024 * 1000 },
      { scavenges: 10, pauseMs: 30, helpersMs: 15, promotedBytes: 3 * 1024 * 1000, survivedBytes: 6 * 1024 * 1000 },
    ]);
    const line = describeGc(before, after, 1000, 2);
    expect(line).toContain('scavenges per 1k ops per node 10.00');
    expect(line).toContain('promoted 3.00 KB/op per node');
    expect(line).toContain('survived 6.00 KB/op per node');
    expect(line).toContain('pause 30.00 µs/op per node');
    expect(line).toContain('helpers 15.00 µs/op per node');
    expect(describeGc(before, after, 0, 2)).toBe('no operations');
  });
});
