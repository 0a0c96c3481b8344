/**
 * The simulator's CI seed set (issue 5), run by `npm test` in this package after vitest:
 * the cluster workload (the real Store, 5 nodes, 16 partitions, RF 3) for seeds
 * 1..CI_SEED_COUNT x 30 simulated seconds, plus the regression seeds (REGRESSION_SEEDS: seeds
 * that once failed), on every core (seed-pool.ts). Exit code 1
 * if any seed fails, with the command that replays it; it prints the wall time, simulated
 * seconds per wall second and per worker CPU second (the rate that does not depend on how
 * loaded the machine is).
 *
 *   npm run ci-seeds -w @ringkv/sim                   the CI set
 *   npm run ci-seeds -w @ringkv/sim -- --seeds 200    issue 5's full target: 200 seeds x 30 s
 */
import { Command, InvalidArgumentError } from 'commander';
import { summarizeAny } from './seed-summary';
import { replayCommand, type SeedJob } from './seed-job';
import { defaultJobs, runSeedsInParallel } from './seed-pool';

/**
 * Seeds 1..CI_SEED_COUNT: issue 5's target, 200 seeds x 30 s. Measured at 06:29 on this machine
 * with one worker (the other core busy with the hour-long run): all 201 seeds passed, 6030
 * simulated s in 760 wall s, 693 worker CPU s (8.7 simulated s per CPU s), so about 6-7 minutes
 * on two free cores; under heavy load (2.7-3.1 simulated s per wall s) it would take 30+.
 */
export const CI_SEED_COUNT = 200;
/** Seeds that once failed, run whatever CI_SEED_COUNT is. */
// 100, 101: a node that crashed right after bootstrap could not restart (KV behind the log).
// 503: a pause drawn just before the faults ended froze a node into the liveness phase.
export const REGRESSION_SEEDS: readonly number[] = [100, 101, 503];
export const CI_JOB: SeedJob = { workload: 'cluster', nodes: 5, partitions: 16, replicationFactor: 3, simulatedMs: 30_000 };

export function ciSeeds(count: number = CI_SEED_COUNT): number[] {
  const seeds = Array.from({ length: count }, (_, i) => i + 1);
  for (const s of REGRESSION_SEEDS) if (!seeds.includes(s)) seeds.push(s);
  return seeds;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got ${value}`);
  return n;
}

async function main(): Promise<void> {
  const opts = new Command()
    .name('ci-seeds')
    .option('--seeds <count>', 'seeds 1..count (plus the regression seeds)', count, CI_SEED_COUNT)
    .option('--jobs <n>', 'worker processes', count, defaultJobs())
    .parse()
    .opts<{ seeds: number; jobs: number }>();
  const seeds = ciSeeds(opts.seeds);
  const started = process.hrtime.bigint();
  const failed: number[] = [];
  let simulatedMs = 0;
  let cpuMs = 0;
  console.log(`sim CI set: ${seeds.length} seeds x ${CI_JOB.simulatedMs / 1000} simulated s (cluster, ${CI_JOB.nodes} nodes, ${CI_JOB.partitions} partitions, RF ${CI_JOB.replicationFactor}) on ${opts.jobs} worker processes`);
  await runSeedsInParallel(CI_JOB, seeds, {
    jobs: opts.jobs,
    onOutcome: (o) => {
      if (o.result !== undefined) simulatedMs += o.result.simulatedMs;
      cpuMs += o.cpuMs;
      if (o.result?.ok !== true) failed.push(o.seed);
      console.log(`seed ${o.seed}: ${o.result !== undefined ? summarizeAny(o.result) : `FAIL ${o.error ?? 'no result'}`} (${(o.wallMs / 1000).toFixed(1)} wall s)`);
    },
  });
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(
    `${seeds.length} seeds, ${failed.length} failed; ${(simulatedMs / 1000).toFixed(0)} simulated s in ${wallS.toFixed(1)} wall s = ${(simulatedMs / 1000 / wallS).toFixed(1)} simulated s per wall s; ${(cpuMs / 1000).toFixed(0)} worker CPU s = ${(simulatedMs / cpuMs).toFixed(1)} simulated s per CPU s`,
  );
  if (failed.length > 0) {
    console.log(`replay: ${failed.map((s) => replayCommand(CI_JOB, s)).join('\n        ')}`);
    process.exitCode = 1;
  }
}

await main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 2;
});
