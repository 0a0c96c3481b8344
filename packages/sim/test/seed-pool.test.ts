import { afterEach, describe, expect, it } from 'vitest';
import { schedulerDefaults } from '../src/scheduler';
import { runSeed, type SeedJob } from '../src/seed-job';
import { runSeedsInParallel } from '../src/seed-pool';

const probe: SeedJob = { workload: 'probe', nodes: 5, partitions: 16, replicationFactor: 3, simulatedMs: 11_000 };
const cluster: SeedJob = { workload: 'cluster', nodes: 5, partitions: 16, replicationFactor: 3, simulatedMs: 11_000 };

describe('the seed pool (worker processes)', () => {
  afterEach(() => {
    schedulerDefaults.fullDrain = false;
  });

  it('gives every seed the result of an in-process run, whichever worker ran it after whichever seed, reported in seed order', async () => {
    const seeds = [5, 3, 8];
    const reported: number[] = [];
    const outcomes = await runSeedsInParallel(probe, seeds, { jobs: 2, onOutcome: (o) => reported.push(o.seed) });
    expect(reported).toEqual(seeds);
    expect(outcomes.map((o) => o.seed)).toEqual(seeds);
    for (const o of outcomes) {
      expect(o.error).toBeUndefined();
      expect(o.result).toEqual(await runSeed(probe, o.seed));
    }
  });

  // Also the scheduler's nextTick drain against the setImmediate-only drain (the assumption-free
  // reference): a whole cluster run must not tell them apart.
  it('runs a cluster seed in a worker after another seed exactly as in-process, with either drain', async () => {
    const [after2, worker11] = await runSeedsInParallel(cluster, [2, 11], { jobs: 1 });
    expect(after2!.result?.ok, after2!.error ?? after2!.result?.failure).toBe(true);
    expect(worker11!.error).toBeUndefined();
    const fast = await runSeed(cluster, 11);
    schedulerDefaults.fullDrain = true;
    const reference = await runSeed(cluster, 11);
    expect(fast.ok, fast.failure).toBe(true);
    expect(fast.traceDigest).toBe(reference.traceDigest);
    expect(fast).toEqual(reference);
    expect(worker11!.result).toEqual(fast);
  });

  it('fails a seed that does not finish in time, names it, and carries on with the others', async () => {
    const outcomes = await runSeedsInParallel({ ...probe, simulatedMs: 3_600_000 }, [1, 2], { jobs: 1, seedTimeoutMs: 2_000 });
    expect(outcomes.map((o) => o.seed)).toEqual([1, 2]);
    for (const o of outcomes) expect(o.error).toMatch(/no result after 2 wall s/);
  });
});
