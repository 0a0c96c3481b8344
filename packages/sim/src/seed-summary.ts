/** One line per seed: verdict, events, faults, trace digest and the failure if any (CLI and CI set). */
import type { ClusterRunResult } from './cluster-run';
import type { ProbeRunResult } from './probe-run';
import type { SeedResult } from './seed-job';

export function summarize(r: ProbeRunResult): string {
  const f = r.faults;
  const verdict = r.ok ? 'ok  ' : 'FAIL';
  return (
    `${verdict} ${(r.simulatedMs / 1000).toFixed(1)}s sim, ${r.events} events, ${r.appends} acked appends, ${r.boots} boots; ` +
    `faults: ${f.crashes} crashes, ${f.pauses} pauses, ${f.wallJumps} clock jumps, ${f.partitions} partitions, ` +
    `${f.lossyStretches} lossy, ${f.slowDiskStretches} slow disk, ${f.bitFlips} flips (${f.corruptionDetected} detected); ` +
    `net ${r.network.delivered}/${r.network.sent} delivered; trace ${r.traceDigest.slice(0, 16)}` +
    (r.failure === undefined ? '' : `\n     ${r.failure}`)
  );
}

export function summarizeAny(r: SeedResult): string {
  return 'appends' in r ? summarize(r) : summarizeCluster(r);
}

export function summarizeCluster(r: ClusterRunResult): string {
  const f = r.faults;
  return (
    `${r.ok ? 'ok  ' : 'FAIL'} ${(r.simulatedMs / 1000).toFixed(1)}s sim, ${r.events} events, ${r.writesAcked} writes acked, ${r.writesFailed} failed; ` +
    `faults: ${f.crashes} crashes, ${f.pauses} pauses, ${f.wallJumps} clock jumps, ${f.partitions} partitions, ${f.lossyStretches} lossy, ` +
    `${f.slowDiskStretches} slow disk, ${f.bitFlips} flips (${f.corruptionDetected} detected); trace ${r.traceDigest.slice(0, 16)}` +
    (r.failure === undefined ? '' : `\n     ${r.failure}`)
  );
}
