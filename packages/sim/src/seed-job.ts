/**
 * What one seed of a simulator run is: the workload and the cluster shape, shared by every seed
 * of a run. `runSeed` is the one place that turns (job, seed) into a run, used in-process by the
 * CLI (one job at a time) and by each worker process of the parallel pool, so a seed gives the
 * same result (same trace digest) whichever ran it.
 */
import { runCluster, type ClusterRunResult } from './cluster-run';
import { runProbe, type ProbeRunResult } from './probe-run';

export type Workload = 'probe' | 'cluster';

export interface SeedJob {
  readonly workload: Workload;
  readonly nodes: number;
  /** Cluster workload only. */
  readonly partitions: number;
  /** Cluster workload only. */
  readonly replicationFactor: number;
  readonly simulatedMs: number;
}

export type SeedResult = ClusterRunResult | ProbeRunResult;

export function isWorkload(name: string): name is Workload {
  return name === 'probe' || name === 'cluster';
}

export function runSeed(job: SeedJob, seed: number): Promise<SeedResult> {
  return job.workload === 'cluster'
    ? runCluster({ seed, nodes: job.nodes, partitions: job.partitions, replicationFactor: job.replicationFactor, simulatedMs: job.simulatedMs })
    : runProbe({ seed, nodes: job.nodes, simulatedMs: job.simulatedMs });
}

/** The command that replays one seed of this job exactly (in one process). */
export function replayCommand(job: SeedJob, seed: number): string {
  const shape = job.workload === 'cluster' ? ` --nodes ${job.nodes} --partitions ${job.partitions} --rf ${job.replicationFactor}` : ` --nodes ${job.nodes}`;
  return `npm run sim -- --workload ${job.workload} --seed ${seed} --seconds ${job.simulatedMs / 1000}${shape}`;
}
