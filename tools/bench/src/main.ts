/**
 * RingKV against etcd 3.4, measured in one run the same way: both clusters are started here on
 * loopback (3 nodes each, temporary data directories), loaded by the same workloads with the same
 * concurrency, key and value sizes, and stopped at the end.
 *
 *   npm run bench -w @ringkv/bench -- [options]      (USAGE below, printed by --help)
 *
 * With --rounds N the two stores take turns N times (RingKV, etcd, RingKV, etcd, ...), each
 * round with fresh clusters, and a summary gives every round's ratios and their median: on this
 * shared machine one round's ratio swings with whatever else runs.
 */
import { VALUE_SIZE_BYTES_MAX } from '@ringkv/client';
import { parseCommandLine } from './cli-args';
import type { KvDriver } from './driver';
import { VALUE_BYTES } from './data';
import { etcdDriver, startEtcdCluster } from './etcd';
import type { StoreRun } from './report';
import { formatSummary, formatTable } from './report';
import { ringkvDriver, serverAvailable, startRingkvCluster } from './ringkv';
import type { BenchConfig } from './workloads';
import { WORKLOADS, runAll } from './workloads';

const USAGE = `RingKV against etcd 3.4 on this machine: both 3-node clusters started here on loopback, the same
workloads (64 concurrent workers, 16-byte keys, 128-byte values by default), RingKV then etcd.

  npm run bench -w @ringkv/bench -- [options]

  --duration-ms N     each workload's measured time (default 10000)
  --warmup-ms N       load before measuring (default 1000)
  --workers N         concurrent workers (default 64)
  --key-space N       distinct keys, all written first (default 10000)
  --value-bytes N     value size (default 128)
  --partitions N      RingKV's partitions, a power of two (default 16)
  --seed N            workload randomness (default 42)
  --only etcd|ringkv  measure one store
  --workloads LIST    some of put,get,mix (default all)
  --rounds N          take turns N times and give each round's ratios and their median
  --ringkv-reads M    linearizable (default), lease or stale: RingKV's gets only
  --gc-trace          run the nodes with --trace-gc-nvp and print a gc: line per workload`;

const args = parseCommandLine(
  {
    'duration-ms': { type: 'string', default: '10000' },
    'warmup-ms': { type: 'string', default: '1000' },
    workers: { type: 'string', default: '64' },
    'key-space': { type: 'string', default: '10000' },
    'value-bytes': { type: 'string', default: String(VALUE_BYTES) },
    partitions: { type: 'string', default: '16' },
    seed: { type: 'string', default: '42' },
    only: { type: 'string' },
    workloads: { type: 'string' },
    rounds: { type: 'string', default: '1' },
    'ringkv-reads': { type: 'string', default: 'linearizable' },
    'gc-trace': { type: 'boolean', default: false },
  },
  USAGE,
);

// RingKV's gets are linearizable, like etcd's; 'lease' or 'stale' only to see what the read
// confirmation costs (such a run is not a like-for-like comparison with etcd).
const READ_MODES = ['linearizable', 'lease', 'stale'] as const;
const ringkvReads = READ_MODES.find((m) => m === args['ringkv-reads']);
if (ringkvReads === undefined) throw new Error(`--ringkv-reads must be one of ${READ_MODES.join(', ')}, got ${args['ringkv-reads']}`);

const valueBytes = Number(args['value-bytes']);
// The values are ASCII, so their length is their size; RingKV's limit is under etcd's default (1.5 MiB).
if (!Number.isSafeInteger(valueBytes) || valueBytes < 1 || valueBytes > VALUE_SIZE_BYTES_MAX) {
  throw new Error(`--value-bytes must be an integer in [1, ${VALUE_SIZE_BYTES_MAX}], got ${args['value-bytes']}`);
}

const config: BenchConfig = {
  durationMs: Number(args['duration-ms']),
  warmupMs: Number(args['warmup-ms']),
  workers: Number(args.workers),
  keySpace: Number(args['key-space']),
  valueBytes,
  seed: Number(args.seed),
  ...(args.workloads === undefined ? {} : { only: args.workloads.split(',') }),
  reportProfileWindow: (process.env['RINGKV_BENCH_NODE_ARGS'] ?? '').includes('--cpu-prof'),
};
const log = (line: string): void => console.log(`[bench] ${line}`);

async function measure(store: string, start: () => Promise<{ driver: KvDriver; stop: () => Promise<void> }>): Promise<StoreRun> {
  log(`${store}: starting a 3-node cluster`);
  const { driver, stop } = await start();
  try {
    return { store, results: await runAll(driver, config, log) };
  } finally {
    await driver.close();
    await stop();
    log(`${store}: cluster stopped`);
  }
}

async function main(): Promise<void> {
  const rounds = Number(args.rounds);
  if (!Number.isSafeInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got ${args.rounds}`);
  log(`${config.workers} concurrent workers, ${config.durationMs} ms per workload after ${config.warmupMs} ms warm-up, ${config.keySpace} keys of ${config.valueBytes}-byte values${rounds > 1 ? `, ${rounds} rounds` : ''}`);
  if (ringkvReads !== 'linearizable') log(`RingKV's gets are ${ringkvReads} reads (etcd's stay linearizable): not a like-for-like comparison`);
  const all: StoreRun[][] = [];
  const notes = new Set<string>();
  for (let round = 1; round <= rounds; round++) {
    if (rounds > 1) log(`round ${round} of ${rounds}`);
    const runs = await measureRound(notes);
    all.push(runs);
    console.log();
    console.log(formatTable(WORKLOADS, runs));
  }
  if (rounds > 1) {
    console.log();
    console.log(formatSummary(WORKLOADS, all));
  }
  for (const note of notes) console.log(note);
}

/** One turn of each store, RingKV first. */
async function measureRound(notes: Set<string>): Promise<StoreRun[]> {
  const runs: StoreRun[] = [];
  if (args.only !== 'etcd') {
    if (!serverAvailable()) {
      notes.add('RingKV: apps/server/src/main.ts does not exist yet, so there is no RingKV column.');
    } else {
      try {
        runs.push(
          await measure('RingKV', async () => {
            const cluster = await startRingkvCluster({ nodes: 3, partitions: Number(args.partitions), replicationFactor: 3, gcTrace: args['gc-trace'] });
            try {
              return { driver: await ringkvDriver(cluster, config.workers, ringkvReads), stop: () => cluster.stop() };
            } catch (error) {
              await cluster.stop();
              throw error;
            }
          }),
        );
      } catch (error) {
        // Still measure etcd, and say plainly why RingKV has no column.
        const reason = (error instanceof Error ? error.message : String(error)).split('\n').slice(0, 6).join('\n  ');
        log(`RingKV: failed: ${reason}`);
        if (args.only === 'ringkv') throw error;
        notes.add(`RingKV: no column, the cluster did not run: ${reason}`);
      }
    }
  }
  if (args.only !== 'ringkv') {
    runs.push(
      await measure('etcd', async () => {
        const cluster = await startEtcdCluster(3);
        log(`etcd ${cluster.version} at ${cluster.clientUrls.join(', ')}`);
        return { driver: etcdDriver(cluster), stop: () => cluster.stop() };
      }),
    );
  }
  return runs;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
