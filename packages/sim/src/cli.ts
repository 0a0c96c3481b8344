/**
 * The simulator's command line:
 *
 *   npm run sim -- --seeds 100 --seconds 60     runs seeds 1..100 (or --from S), 60 simulated s each
 *   npm run sim -- --seed 1234 --seconds 60     replays one seed exactly
 *   npm run sim -- --seeds 200 --jobs 2         two worker processes (default: one per core)
 *
 * With --jobs 1 it prints the seed before running it (so a hang or crash still names the seed);
 * with more jobs a hung seed is killed and named after --seed-timeout. One summary line per seed
 * in seed order, and the simulated seconds per wall second. Exit code 1 if any seed failed, with
 * the command that replays it.
 */
import { Command, InvalidArgumentError } from 'commander';
import { isWorkload, replayCommand, runSeed, type SeedJob, type SeedResult, type Workload } from './seed-job';
import { summarizeAny } from './seed-summary';
import { DEFAULT_SEED_TIMEOUT_MS, defaultJobs, runSeedsInParallel } from './seed-pool';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got ${value}`);
  return n;
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
    .option('--workload <name>', "'probe' (storage engines) or 'cluster' (the real Store)", 'probe')
    .option('--partitions <n>', 'partitions (cluster workload)', positiveInt, 16)
    .option('--rf <n>', 'replication factor (cluster workload)', positiveInt, 3)
    .option('--jobs <n>', 'seeds run at once, each in its own worker process (1: in this process, one after another)', positiveInt, defaultJobs())
    .option('--seed-timeout <s>', 'with --jobs > 1: wall seconds after which a seed counts as hung', positiveInt, DEFAULT_SEED_TIMEOUT_MS / 1000)
    .parse();
  const opts = program.opts<{ seed?: number; seeds: number; from: number; seconds: number; nodes: number; workload: string; partitions: number; rf: number; jobs: number; seedTimeout: number }>();
  if (!isWorkload(opts.workload)) program.error(`--workload must be probe or cluster, got ${opts.workload}`);
  if (opts.jobs < 1) program.error('--jobs must be at least 1');
  const job: SeedJob = { workload: opts.workload as Workload, nodes: opts.nodes, partitions: opts.partitions, replicationFactor: opts.rf, simulatedMs: opts.seconds * 1000 };
  const seeds: number[] = opts.seed !== undefined ? [opts.seed] : Array.from({ length: opts.seeds }, (_, i) => opts.from + i);
  const jobs = Math.min(opts.jobs, seeds.length);
  const wallStart = process.hrtime.bigint();
  let simulatedMs = 0;
  const failed: number[] = [];
  const print = (seed: number, result: SeedResult | undefined, error: string | undefined): void => {
    if (result !== undefined) simulatedMs += result.simulatedMs;
    if (result === undefined || !result.ok) failed.push(seed);
    process.stdout.write(`${result !== undefined ? summarizeAny(result) : `FAIL ${error ?? 'no result'}`}\n`);
  };
  if (jobs === 1) {
    for (const seed of seeds) {
      process.stdout.write(`seed ${seed}: `);
      print(seed, await runSeed(job, seed), undefined);
    }
  } else {
    console.log(`${seeds.length} seeds on ${jobs} worker processes; results in seed order`);
    await runSeedsInParallel(job, seeds, {
      jobs,
      seedTimeoutMs: opts.seedTimeout * 1000,
      onOutcome: (o) => {
        process.stdout.write(`seed ${o.seed}: `);
        print(o.seed, o.result, o.error);
      },
    });
  }
  const wallS = Number(process.hrtime.bigint() - wallStart) / 1e9;
  console.log(
    `${seeds.length} seed(s), ${failed.length} failed; ${(simulatedMs / 1000).toFixed(0)} simulated s in ${wallS.toFixed(1)} wall s = ${(simulatedMs / 1000 / wallS).toFixed(1)} simulated s per wall s (${jobs} job(s))`,
  );
  if (failed.length > 0) {
    console.log(`replay: ${failed.map((s) => replayCommand(job, s)).join('\n        ')}`);
    process.exitCode = 1;
  }
}

await main().catch((err: unknown) => {
  console.error(`\n${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 2;
});
