/**
 * The simulator's command line:
 *
 *   npm run sim -- --seeds 100 --seconds 60     runs seeds 1..100 (or --from S), 60 simulated s each
 *   npm run sim -- --seed 1234 --seconds 60     replays one seed exactly
 *
 * It prints the seed before running it (so a hang or crash still names the seed), one summary
 * line per seed, and the simulated seconds per wall second. Exit code 1 if any seed failed, with
 * the command that replays it.
 */
import { Command, InvalidArgumentError } from 'commander';
import { runCluster, type ClusterRunResult } from './cluster-run';
import { runProbe, type ProbeRunResult } from './probe-run';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got ${value}`);
  return n;
}

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

export function summarizeCluster(r: ClusterRunResult): string {
  const f = r.faults;
  return (
    `${r.ok ? 'ok  ' : 'FAIL'} ${(r.simulatedMs / 1000).toFixed(1)}s sim, ${r.events} events, ${r.writesAcked} writes acked, ${r.writesFailed} failed; ` +
    `faults: ${f.crashes} crashes, ${f.pauses} pauses, ${f.wallJumps} clock jumps, ${f.partitions} partitions, ${f.lossyStretches} lossy, ` +
    `${f.slowDiskStretches} slow disk, ${f.bitFlips} flips (${f.corruptionDetected} detected); trace ${r.traceDigest.slice(0, 16)}` +
    (r.failure === undefined ? '' : `\n     ${r.failure}`)
  );
}

async function main(): Promise<void> {
  const program = new Command()
    .name('ringkv-sim')
    .description('Deterministic simulation of a RingKV cluster under faults')
    .option('--seed <n>', 'replay exactly one seed', positiveInt)
    .option('--seeds <count>', 'how many seeds to run', positiveInt, 10)
    .option('--from <n>', 'first seed of a --seeds run', positiveInt, 1)
    .option('--seconds <s>', 'simulated seconds per seed (the last 10 are the liveness phase)', positiveInt, 30)
    .option('--nodes <n>', 'nodes in the cluster', positiveInt, 5)
    .option('--workload <name>', "'probe' (storage engines, runs today) or 'cluster' (the real Store: needs packages/raft)", 'probe')
    .option('--partitions <n>', 'partitions (cluster workload)', positiveInt, 16)
    .option('--rf <n>', 'replication factor (cluster workload)', positiveInt, 3)
    .parse();
  const opts = program.opts<{ seed?: number; seeds: number; from: number; seconds: number; nodes: number; workload: string; partitions: number; rf: number }>();
  if (opts.workload !== 'probe' && opts.workload !== 'cluster') program.error(`--workload must be probe or cluster, got ${opts.workload}`);
  const seeds: number[] = opts.seed !== undefined ? [opts.seed] : Array.from({ length: opts.seeds }, (_, i) => opts.from + i);
  const wallStart = process.hrtime.bigint();
  let simulatedMs = 0;
  const failed: number[] = [];
  for (const seed of seeds) {
    process.stdout.write(`seed ${seed}: `);
    const simMs = opts.seconds * 1000;
    const result =
      opts.workload === 'cluster'
        ? await runCluster({ seed, nodes: opts.nodes, partitions: opts.partitions, replicationFactor: opts.rf, simulatedMs: simMs })
        : await runProbe({ seed, nodes: opts.nodes, simulatedMs: simMs });
    simulatedMs += result.simulatedMs;
    if (!result.ok) failed.push(seed);
    process.stdout.write(`${'appends' in result ? summarize(result) : summarizeCluster(result)}\n`);
  }
  const wallS = Number(process.hrtime.bigint() - wallStart) / 1e9;
  console.log(
    `${seeds.length} seed(s), ${failed.length} failed; ${(simulatedMs / 1000).toFixed(0)} simulated s in ${wallS.toFixed(1)} wall s = ${(simulatedMs / 1000 / wallS).toFixed(1)} simulated s per wall s`,
  );
  if (failed.length > 0) {
    console.log(`replay: ${failed.map((s) => `npm run sim -- --workload ${opts.workload} --seed ${s} --seconds ${opts.seconds}`).join('\n        ')}`);
    process.exitCode = 1;
  }
}

await main().catch((err: unknown) => {
  console.error(`\n${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 2;
});
