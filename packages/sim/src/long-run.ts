/**
 * The long randomized run (outside `npm test`): cluster seeds from a fresh range, on every core,
 * for a wall-clock budget.
 *
 *   npm run sim:long -w @ringkv/sim -- --minutes 60                 seeds 1000000, 1000001, ...
 *   npm run sim:long -w @ringkv/sim -- --minutes 60 --from 2000000 --seconds 60 --jobs 2 --out long.jsonl
 *
 * Seeds run in batches of `jobs * 4` on the parallel pool (seed-pool.ts); no batch starts once the
 * budget is spent, so the run ends at most one batch late. Ctrl-C stops after the current batch.
 * It prints one line per seed, then the seed count, simulated hours, and every failure with the
 * command that replays it in one process; `--out` also writes each outcome as a JSON line.
 * Exit code 1 if any seed failed.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import type { ClusterRunResult } from './cluster-run';
import { replayCommand, type SeedJob } from './seed-job';
import { defaultJobs, runSeedsInParallel, type SeedOutcome } from './seed-pool';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got ${value}`);
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got ${value}`);
  return n;
}

/** A fresh range, far from the CI seed sets (1..a few hundred) and the regression seeds. */
const DEFAULT_FIRST_SEED = 1_000_000;

function line(o: SeedOutcome): string {
  const r = o.result as ClusterRunResult | undefined;
  if (r === undefined) return `seed ${o.seed}: FAIL ${o.error ?? 'no result'}`;
  const f = r.faults;
  return (
    `seed ${o.seed}: ${r.ok ? 'ok  ' : 'FAIL'} ${(r.simulatedMs / 1000).toFixed(0)}s sim in ${(o.wallMs / 1000).toFixed(0)}s, ${r.operations} ops (${r.writesAcked} writes acked), ` +
    `${f.crashes} crashes, ${f.partitions} partitions, ${f.pauses} pauses, log flips ${f.bitFlips}/${f.corruptionDetected} detected, ` +
    `kv flips ${r.kvFlips.injected}/${r.kvFlips.detected} detected/${r.kvFlips.latent} latent; trace ${r.traceDigest.slice(0, 12)}` +
    (r.failure === undefined ? '' : `\n    ${r.failure}`)
  );
}

async function main(): Promise<void> {
  const program = new Command()
    .name('ringkv-sim-long')
    .description('Run cluster simulation seeds for a wall-clock budget')
    .option('--minutes <m>', 'wall-clock budget (may be fractional)', positiveNumber, 60)
    .option('--from <seed>', 'first seed', positiveInt, DEFAULT_FIRST_SEED)
    .option('--seconds <s>', 'simulated seconds per seed (the last 10 are the liveness phase)', positiveInt, 60)
    .option('--jobs <n>', 'worker processes', positiveInt, defaultJobs())
    .option('--nodes <n>', 'nodes', positiveInt, 5)
    .option('--partitions <n>', 'partitions', positiveInt, 16)
    .option('--rf <n>', 'replication factor', positiveInt, 3)
    .option('--out <file>', 'also write every outcome as a JSON line to this file')
    .parse();
  const o = program.opts<{ minutes: number; from: number; seconds: number; jobs: number; nodes: number; partitions: number; rf: number; out?: string }>();
  const job: SeedJob = { workload: 'cluster', nodes: o.nodes, partitions: o.partitions, replicationFactor: o.rf, simulatedMs: o.seconds * 1000 };
  const started = process.hrtime.bigint();
  const wallS = (): number => Number(process.hrtime.bigint() - started) / 1e9;
  const budgetS = o.minutes * 60;
  if (o.out !== undefined) writeFileSync(o.out, '');
  let stop = false;
  process.on('SIGINT', () => {
    if (stop) process.exit(130);
    stop = true;
    console.log('\nstopping after the current batch (Ctrl-C again to quit now)');
  });

  console.log(`long run: seeds from ${o.from}, ${o.seconds} simulated s each, ${o.jobs} jobs, ${o.minutes} wall minutes; ${o.nodes} nodes x ${o.partitions} partitions x RF ${o.rf}`);
  let next = o.from;
  let seeds = 0;
  let simulatedMs = 0;
  const failures: Array<{ seed: number; why: string }> = [];
  while (!stop && wallS() < budgetS) {
    const batch = Array.from({ length: o.jobs * 4 }, () => next++);
    await runSeedsInParallel(job, batch, {
      jobs: o.jobs,
      onOutcome: (outcome) => {
        seeds++;
        const r = outcome.result as ClusterRunResult | undefined;
        simulatedMs += r?.simulatedMs ?? 0;
        if (r === undefined || !r.ok) failures.push({ seed: outcome.seed, why: r?.failure ?? outcome.error ?? 'no result' });
        console.log(line(outcome));
        if (o.out !== undefined) appendFileSync(o.out, `${JSON.stringify(outcome)}\n`);
      },
    });
    console.log(`-- ${seeds} seeds, ${failures.length} failed, ${(simulatedMs / 3_600_000).toFixed(2)} simulated h in ${(wallS() / 60).toFixed(1)} wall min`);
  }
  console.log(
    `\n${seeds} seeds (${o.from}..${next - 1}), ${failures.length} failed; ${(simulatedMs / 3_600_000).toFixed(2)} simulated hours in ${(wallS() / 60).toFixed(1)} wall minutes ` +
      `(${(simulatedMs / 1000 / wallS()).toFixed(1)} simulated s per wall s on ${o.jobs} jobs)`,
  );
  for (const f of failures) console.log(`FAIL seed ${f.seed}: ${f.why}\n  replay: ${replayCommand(job, f.seed)}`);
  if (failures.length > 0) process.exitCode = 1;
}

await main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 2;
});
