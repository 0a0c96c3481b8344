/**
 * A worker process of the seed pool (seed-pool.ts starts it with `node --import tsx`). It runs
 * the seeds the pool sends, one at a time, and sends each result back. A seed's run depends only
 * on (job, seed): nothing carries over from the seeds this process ran before (the pool test
 * checks a seed's digest after another seed against a fresh run).
 */
import { runSeed } from './seed-job';
import type { WorkerReply, WorkerRequest } from './seed-pool';

function reply(message: WorkerReply): void {
  process.send!(message);
}

if (process.send === undefined) throw new Error('seed-worker.ts runs as a child of the seed pool (an IPC channel), not on its own');

// tsx turns source maps on, which makes every read of `error.stack` map each frame: tRPC's error
// shape reads it for every failed call, ~3 % of a cluster run's CPU. Results never hold stacks
// (the pool test compares a worker's result with an in-process one); replaying a seed with
// `--jobs 1` gives source-mapped stacks when debugging.
process.setSourceMapsEnabled(false);

process.on('message', (request: WorkerRequest) => {
  const started = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const wallMs = (): number => Number(process.hrtime.bigint() - started) / 1e6;
  const cpuMs = (): number => {
    const used = process.cpuUsage(cpuStart);
    return (used.user + used.system) / 1000;
  };
  runSeed(request.job, request.seed).then(
    (result) => reply({ seed: request.seed, result, wallMs: wallMs(), cpuMs: cpuMs() }),
    (err: unknown) => reply({ seed: request.seed, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err), wallMs: wallMs(), cpuMs: cpuMs() }),
  );
});
// The pool closes the channel when it has no more seeds: then exit.
process.on('disconnect', () => process.exit(0));
