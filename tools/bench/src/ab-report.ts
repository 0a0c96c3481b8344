/**
 * The A/B comparison's arithmetic (ab.ts runs the benches): reads RingKV's workload lines from a
 * bench run's output and sums up alternating pairs of runs per workload.
 */
import { median } from './report';

export interface WorkloadFigures {
  readonly opsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Server CPU per operation (µs), the figure other load on the machine disturbs least. */
  readonly cpuUsPerOp: number;
  /** Round-loop iterations per operation over the cluster, when the run printed its nodes line. */
  readonly roundsPerOp?: number;
  /** The nodes' average log write from start until it landed (ms), when the nodes line has it. */
  readonly logWriteMs?: number;
}

const RESULT_LINE = /^\[bench\] RingKV: (.+?): (\d+) ops\/s, p50 ([\d.]+) ms, p99 ([\d.]+) ms, errors (\d+), .*servers CPU \d+% \(~(\d+) µs\/op\)/;
const NODES_LINE = /^\[bench\] RingKV: (.+?): nodes: rounds\/op ([\d.]+)/;
const LOG_WRITE_MS = /, ms per log write ([\d.]+)/;

/**
 * RingKV's figures per workload in one bench run's output (the `[bench] RingKV: <workload>: ...`
 * lines, whose format every commit since the servers' CPU was reported prints; each one's
 * `nodes:` line follows it). A run with errors is refused: its throughput says nothing about speed.
 */
export function parseRun(output: string): Map<string, WorkloadFigures> {
  const out = new Map<string, WorkloadFigures>();
  for (const line of output.split('\n')) {
    const nodes = NODES_LINE.exec(line);
    if (nodes !== null) {
      const figures = out.get(nodes[1]!);
      const logWrite = LOG_WRITE_MS.exec(line);
      if (figures !== undefined) out.set(nodes[1]!, { ...figures, roundsPerOp: Number(nodes[2]), ...(logWrite === null ? {} : { logWriteMs: Number(logWrite[1]) }) });
      continue;
    }
    const m = RESULT_LINE.exec(line);
    if (m === null) continue;
    if (Number(m[5]) > 0) throw new Error(`a run had ${m[5]} errors in ${m[1]}: ${line}`);
    out.set(m[1]!, { opsPerSec: Number(m[2]), p50Ms: Number(m[3]), p99Ms: Number(m[4]), cpuUsPerOp: Number(m[6]) });
  }
  return out;
}

export interface PairSummary {
  readonly workload: string;
  readonly pairs: number;
  /** Median over the pairs of B's ops/s over A's. */
  readonly medianThroughputRatio: number;
  /** Pairs where B had the higher throughput. */
  readonly throughputWins: number;
  /** Median over the pairs of B's server CPU per operation over A's (below 1: B is cheaper). */
  readonly medianCpuRatio: number;
  /** Pairs where B used less server CPU per operation. */
  readonly cpuWins: number;
}

/** Per workload present in every run of both sides, the pairs' ratios of B over A. */
export function summarizePairs(a: ReadonlyArray<Map<string, WorkloadFigures>>, b: ReadonlyArray<Map<string, WorkloadFigures>>): PairSummary[] {
  if (a.length !== b.length || a.length === 0) throw new Error(`need as many runs of A as of B, and at least one (got ${a.length} and ${b.length})`);
  const workloads = [...a[0]!.keys()].filter((w) => a.every((run) => run.has(w)) && b.every((run) => run.has(w)));
  return workloads.map((workload) => {
    const pairs = a.map((run, i) => ({ a: run.get(workload)!, b: b[i]!.get(workload)! }));
    return {
      workload,
      pairs: pairs.length,
      medianThroughputRatio: median(pairs.map((p) => p.b.opsPerSec / p.a.opsPerSec)),
      throughputWins: pairs.filter((p) => p.b.opsPerSec > p.a.opsPerSec).length,
      medianCpuRatio: median(pairs.map((p) => p.b.cpuUsPerOp / p.a.cpuUsPerOp)),
      cpuWins: pairs.filter((p) => p.b.cpuUsPerOp < p.a.cpuUsPerOp).length,
    };
  });
}

/** One line per pair and workload, then the summary. */
export function formatPairs(a: ReadonlyArray<Map<string, WorkloadFigures>>, b: ReadonlyArray<Map<string, WorkloadFigures>>): string {
  const lines: string[] = [];
  const rounds = (f: WorkloadFigures) => (f.roundsPerOp === undefined ? '' : `, ${f.roundsPerOp.toFixed(2)} rounds/op`);
  const logWrite = (f: WorkloadFigures) => (f.logWriteMs === undefined ? '' : `, log write ${f.logWriteMs.toFixed(2)} ms`);
  const side = (f: WorkloadFigures) => `${String(f.opsPerSec).padStart(6)} ops/s, p99 ${f.p99Ms.toFixed(1).padStart(6)} ms, ${String(f.cpuUsPerOp).padStart(5)} µs/op${rounds(f)}${logWrite(f)}`;
  a.forEach((runA, i) => {
    for (const [workload, fa] of runA) {
      const fb = b[i]?.get(workload);
      if (fb === undefined) continue;
      lines.push(`pair ${i + 1} ${workload.padEnd(20)} A ${side(fa)} | B ${side(fb)}`);
    }
  });
  lines.push('');
  for (const s of summarizePairs(a, b)) {
    lines.push(
      `${s.workload.padEnd(20)} B/A throughput median ${s.medianThroughputRatio.toFixed(3)}x (B higher in ${s.throughputWins}/${s.pairs}), ` +
        `CPU per op median ${s.medianCpuRatio.toFixed(3)}x (B lower in ${s.cpuWins}/${s.pairs})`,
    );
  }
  return lines.join('\n');
}
