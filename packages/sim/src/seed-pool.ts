/**
 * Runs many seeds on every core: `jobs` worker processes (seed-worker.ts), each running one seed
 * at a time, fed the next seed as soon as they finish one. Each seed is still one deterministic
 * run in one process (its result and trace digest are those of `runSeed` in-process); only the
 * wall time is shared. Results are reported in seed order whatever order they finish in.
 *
 * Processes rather than worker_threads: each has its own heap and GC (the runs allocate a lot),
 * runs TypeScript through tsx exactly like the CLI, and a seed that hangs can be killed without
 * taking the others down. A seed with no result after `seedTimeoutMs` of wall time fails as
 * hung; a worker that dies fails its seed; either way a fresh worker takes the remaining seeds.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { assert } from '@ringkv/stdx';
import type { SeedJob, SeedResult } from './seed-job';

export interface WorkerRequest {
  readonly job: SeedJob;
  readonly seed: number;
}

export type WorkerReply = { readonly seed: number; readonly wallMs: number; readonly cpuMs: number } & ({ readonly result: SeedResult } | { readonly error: string });

/** One seed's outcome: its result, or why there is none (an exception, a dead or hung worker). */
export interface SeedOutcome {
  readonly seed: number;
  readonly result?: SeedResult;
  readonly error?: string;
  /** Wall time this seed took in its worker. */
  readonly wallMs: number;
  /** CPU time its worker spent on it (all threads: GC helpers too); unknown (0) if it died. */
  readonly cpuMs: number;
}

export interface SeedPoolOptions {
  /** Worker processes; default: one per core. */
  readonly jobs?: number;
  /** A seed with no result after this much wall time fails as hung (its worker is killed). */
  readonly seedTimeoutMs?: number;
  /** Called once per seed, in seed order, as soon as it and every seed before it are done. */
  readonly onOutcome?: (outcome: SeedOutcome) => void;
  /** Extra V8/Node flags for the workers. */
  readonly nodeFlags?: readonly string[];
}

export const DEFAULT_SEED_TIMEOUT_MS = 10 * 60_000;

/**
 * A larger young generation: a run allocates short-lived objects at a high rate (frames, batches,
 * promises) and GC is ~10 % of its CPU; fewer scavenges. The gain measured on the shared machine
 * was 0-10 %, within its noise; results do not depend on it.
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

const WORKER_PATH = fileURLToPath(new URL('./seed-worker.ts', import.meta.url));

/** tsx's ESM loader as a URL, so workers find it whatever the current directory is. */
function tsxLoaderUrl(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
}

export async function runSeedsInParallel(job: SeedJob, seeds: readonly number[], options: SeedPoolOptions = {}): Promise<SeedOutcome[]> {
  const jobs = Math.max(1, Math.min(options.jobs ?? defaultJobs(), seeds.length));
  assert(new Set(seeds).size === seeds.length, 'runSeedsInParallel: seeds must be distinct');
  const seedTimeoutMs = options.seedTimeoutMs ?? DEFAULT_SEED_TIMEOUT_MS;
  const execArgv = ['--import', tsxLoaderUrl(), ...(options.nodeFlags ?? WORKER_NODE_FLAGS)];
  const outcomes = new Map<number, SeedOutcome>();
  let nextToStart = 0;
  let nextToReport = 0;

  const report = (outcome: SeedOutcome): void => {
    outcomes.set(outcome.seed, outcome);
    while (nextToReport < seeds.length && outcomes.has(seeds[nextToReport]!)) {
      options.onOutcome?.(outcomes.get(seeds[nextToReport]!)!);
      nextToReport++;
    }
  };

  // One lane per job: a worker that takes seeds until none are left; a lane replaces its worker
  // when one dies or hangs.
  const lane = async (): Promise<void> => {
    let worker: ChildProcess | undefined;
    try {
      while (nextToStart < seeds.length) {
        const seed = seeds[nextToStart++]!;
        worker ??= fork(WORKER_PATH, [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        const outcome = await runOnWorker(worker, job, seed, seedTimeoutMs);
        if (outcome.error !== undefined && outcome.result === undefined && !worker.connected) worker = undefined;
        report(outcome);
      }
    } finally {
      if (worker?.connected === true) worker.disconnect();
    }
  };
  await Promise.all(Array.from({ length: jobs }, lane));
  return seeds.map((s) => outcomes.get(s)!);
}

function runOnWorker(worker: ChildProcess, job: SeedJob, seed: number, timeoutMs: number): Promise<SeedOutcome> {
  const started = process.hrtime.bigint();
  const wallMs = (): number => Number(process.hrtime.bigint() - started) / 1e6;
  return new Promise<SeedOutcome>((resolve) => {
    const done = (outcome: SeedOutcome): void => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      resolve(outcome);
    };
    const onMessage = (reply: WorkerReply): void => {
      if (reply.seed !== seed) return;
      const timing = { wallMs: reply.wallMs, cpuMs: reply.cpuMs };
      done('result' in reply ? { seed, result: reply.result, ...timing } : { seed, error: reply.error, ...timing });
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      done({ seed, error: `the worker running this seed died (exit code ${code}, signal ${signal})`, wallMs: wallMs(), cpuMs: 0 });
    };
    const timer = setTimeout(() => {
      worker.off('exit', onExit);
      worker.kill('SIGKILL');
      if (worker.connected) worker.disconnect();
      done({ seed, error: `no result after ${(timeoutMs / 1000).toFixed(0)} wall s: the run hangs (or the machine is far too loaded)`, wallMs: wallMs(), cpuMs: 0 });
    }, timeoutMs);
    worker.on('message', onMessage);
    worker.on('exit', onExit);
    const request: WorkerRequest = { job, seed };
    worker.send(request);
  });
}
