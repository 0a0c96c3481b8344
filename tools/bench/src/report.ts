/** The side-by-side table: throughput and latency per workload, with RingKV / etcd ratios. */
import type { WorkloadResult } from './workload';

export interface StoreRun {
  readonly store: string;
  readonly results: ReadonlyMap<string, WorkloadResult>;
}

function cell(text: string, width: number): string {
  return text.padStart(width);
}

function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || b === 0) return '-';
  return `${(a / b).toFixed(2)}x`;
}

/**
 * One row per workload: each store's ops/s, p50 and p99; then RingKV's throughput over etcd's
 * (higher is better) and etcd's p99 over RingKV's (higher is better, >1 means RingKV's is lower).
 */
export function formatTable(workloads: readonly string[], runs: readonly StoreRun[]): string {
  const header = ['workload'.padEnd(20)];
  for (const run of runs) header.push(cell(`${run.store} ops/s`, 18), cell('p50 ms', 8), cell('p99 ms', 8), cell('errors', 7));
  const compare = runs.length === 2;
  if (compare) header.push(cell(`ops/s ${runs[0]!.store}÷${runs[1]!.store}`, 22), cell(`p99 ${runs[1]!.store}÷${runs[0]!.store}`, 22));
  const lines = [header.join(' ')];
  for (const workload of workloads) {
    const row = [workload.padEnd(20)];
    for (const run of runs) {
      const r = run.results.get(workload);
      row.push(
        cell(r === undefined ? '-' : r.opsPerSec.toFixed(0), 18),
        cell(r === undefined ? '-' : r.p50Ms.toFixed(2), 8),
        cell(r === undefined ? '-' : r.p99Ms.toFixed(2), 8),
        cell(r === undefined ? '-' : String(r.errors), 7),
      );
    }
    if (compare) {
      const a = runs[0]!.results.get(workload);
      const b = runs[1]!.results.get(workload);
      row.push(cell(ratio(a?.opsPerSec, b?.opsPerSec), 22), cell(ratio(b?.p99Ms, a?.p99Ms), 22));
    }
    lines.push(row.join(' '));
  }
  return lines.join('\n');
}

/** The middle value, or the mean of the middle two (also ab-report.ts's). */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Over several alternating rounds (each: the first store, then the second, on a noisy shared
 * machine), per workload: every round's throughput ratio, their median, and in how many rounds
 * the first store's p99 was the lower. Rounds missing either store's result are left out.
 */
export function formatSummary(workloads: readonly string[], rounds: ReadonlyArray<readonly StoreRun[]>): string {
  const complete = rounds.filter((r) => r.length === 2);
  if (complete.length === 0) return '';
  const [first, second] = [complete[0]![0]!.store, complete[0]![1]!.store];
  const lines = [`over ${complete.length} round(s), ${first} then ${second} in each: ops/s ${first}÷${second} per round, the median, and the rounds where ${first}'s p99 was lower`];
  for (const workload of workloads) {
    const ratios: number[] = [];
    let lowerP99 = 0;
    for (const [a, b] of complete) {
      const ra = a!.results.get(workload);
      const rb = b!.results.get(workload);
      if (ra === undefined || rb === undefined || rb.opsPerSec === 0) continue;
      ratios.push(ra.opsPerSec / rb.opsPerSec);
      if (ra.p99Ms < rb.p99Ms) lowerP99++;
    }
    if (ratios.length === 0) continue;
    lines.push(
      `${workload.padEnd(20)} ${ratios.map((x) => `${x.toFixed(2)}x`).join(' ').padEnd(36)} median ${median(ratios).toFixed(2)}x, p99 lower in ${lowerP99}/${ratios.length}`,
    );
  }
  return lines.join('\n');
}
