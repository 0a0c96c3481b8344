/**
 * A local 3-node RingKV cluster started from apps/server (`node --import tsx
 * apps/server/src/main.ts`), with temporary data directories, and a driver over the SDK.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@ringkv/client';
import type { Consistency } from '@ringkv/client';
import type { KvDriver } from './driver';
import type { GcTotals } from './gc-trace';
import { GcTrace, sumGcTotals } from './gc-trace';
import { StartFailed, freePorts, stopProcess, waitUntil } from './processes';

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
export const SERVER_MAIN = join(REPO_ROOT, 'apps/server/src/main.ts');
/** Node/V8 flags every node process runs with (why: apps/server/README.md, "Node flags"). */
const SERVER_NODE_FLAGS = JSON.parse(readFileSync(join(REPO_ROOT, 'apps/server/node-flags.json'), 'utf8')) as string[];

export function serverAvailable(): boolean {
  return existsSync(SERVER_MAIN);
}

export interface RingkvCluster {
  readonly endpoints: readonly string[];
  readonly pids: readonly number[];
  /** With `gcTrace`: the nodes' scavenges so far, summed (gc-trace.ts). */
  readonly gcTotals?: () => GcTotals;
  stop(): Promise<void>;
}

export interface RingkvClusterOptions {
  readonly nodes: number;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Run the nodes with --trace-gc-nvp and sum their scavenges (`--gc-trace`). */
  readonly gcTrace?: boolean;
}

export async function startRingkvCluster(options: RingkvClusterOptions): Promise<RingkvCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'ringkv-bench-'));
  const ports = await freePorts(options.nodes * 2);
  const ids = Array.from({ length: options.nodes }, (_, i) => i + 1);
  const apiAddress = (i: number): string => `127.0.0.1:${ports[i]}`;
  const peerAddress = (i: number): string => `127.0.0.1:${ports[options.nodes + i]}`;
  const initialCluster = ids.map((id, i) => `${id}=${peerAddress(i)}/${apiAddress(i)}`).join(',');
  const children: ChildProcess[] = [];
  const logs: string[] = ids.map(() => '');
  const gcTraces = options.gcTrace === true ? ids.map(() => new GcTrace()) : undefined;
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((c) => stopProcess(c, 15_000)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    ids.forEach((id, i) => {
      const child = spawn(
        process.execPath,
        [
          // Extra node flags for the server processes only, e.g. RINGKV_BENCH_NODE_ARGS="--cpu-prof
          // --cpu-prof-dir=/tmp/prof" to profile the nodes under load.
          ...SERVER_NODE_FLAGS,
          ...(gcTraces === undefined ? [] : ['--trace-gc-nvp']),
          ...(process.env['RINGKV_BENCH_NODE_ARGS'] ?? '').split(' ').filter((a) => a.length > 0),
          '--import',
          'tsx',
          SERVER_MAIN,
          '--id',
          String(id),
          '--data-dir',
          join(dir, `node-${id}`),
          '--listen',
          apiAddress(i),
          '--peer-listen',
          peerAddress(i),
          '--initial-cluster',
          initialCluster,
          '--partitions',
          String(options.partitions),
          '--replication-factor',
          String(options.replicationFactor),
          '--log-level',
          'warn',
        ],
        { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      // pino logs to stdout; keep the tail of both streams for a failure report.
      const keep = (d: Buffer): void => {
        logs[i] = (logs[i]! + d.toString()).slice(-4000);
      };
      child.stdout!.on('data', keep);
      if (gcTraces !== undefined) child.stdout!.on('data', (d: Buffer) => gcTraces[i]!.feed(d.toString()));
      child.stderr!.on('data', keep);
      children.push(child);
    });
    await waitUntil(60_000, async () => {
      for (const [i, child] of children.entries()) {
        if (child.exitCode !== null) throw new StartFailed(`ringkv node ${ids[i]} exited with ${child.exitCode}: ${logs[i]}`);
      }
      const ready = await Promise.all(ids.map((_, i) => fetch(`http://${apiAddress(i)}/readyz`).then((r) => r.ok, () => false)));
      return ready.every(Boolean);
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    endpoints: ids.map((_, i) => apiAddress(i)),
    pids: children.map((c) => c.pid ?? 0),
    ...(gcTraces === undefined ? {} : { gcTotals: () => sumGcTotals(gcTraces.map((t) => t.totals)) }),
    stop,
  };
}

export async function ringkvDriver(cluster: RingkvCluster, concurrency: number, reads: Consistency = 'linearizable'): Promise<KvDriver> {
  // First, so the client's placement (loaded by its first request) names the leaders the run
  // will see: it would otherwise forward through the old ones until it reloads (every 5 s).
  await waitForPreferredLeaders(cluster.endpoints, PREFERRED_LEADERS_WAIT_MS);
  const client = createClient({ endpoints: [...cluster.endpoints], concurrency });
  // A first write proves every partition has a leader before the clock starts.
  await client.put('bench/ready', '1');
  return {
    name: 'RingKV',
    serverPids: cluster.pids,
    metricsEndpoints: cluster.endpoints,
    ...(cluster.gcTotals === undefined ? {} : { gcTotals: cluster.gcTotals }),
    async put(key, value) {
      await client.put(key, value);
    },
    async get(key) {
      await client.get(key, { consistency: reads });
    },
    close: () => client.close(),
  };
}

/** How long a fresh cluster gets to move every leadership to its preferred node before the bench goes on anyway. */
const PREFERRED_LEADERS_WAIT_MS = 30_000;

/**
 * Waits until every node sees each partition led by its preferred leader (the first of the
 * placement's replicas). A node leads whatever it won at start and hands leaderships to the
 * ring's choice a few seconds later (leaderBalanceIntervalMs); a workload measured before that
 * counts the moves against the run: forwarded requests, NOT_LEADER retries, one node leading more
 * than its share. A cluster that does not settle in time is reported and measured as it is.
 */
export async function waitForPreferredLeaders(endpoints: readonly string[], timeoutMs: number): Promise<void> {
  const settled = async (): Promise<boolean> => {
    for (const endpoint of endpoints) {
      const response = await fetch(`http://${endpoint}/trpc/cluster.placement`);
      if (!response.ok) return false;
      const body = (await response.json()) as { result?: { data?: { groups?: Array<{ replicas: number[]; leader: number | null }> } } };
      const groups = body.result?.data?.groups;
      if (groups === undefined || groups.some((g) => g.leader === null || g.leader !== g.replicas[0])) return false;
    }
    return true;
  };
  await waitUntil(timeoutMs, settled).catch(() => {
    console.error(`[bench] RingKV: leaders not all on their preferred nodes after ${timeoutMs} ms; measuring as it is`);
  });
}
