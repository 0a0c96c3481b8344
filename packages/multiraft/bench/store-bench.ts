/**
 * The Store's own cost per write, without tRPC or sockets: three Stores in one process over the
 * in-memory network (0 ms latency), real LevelDB engines in a temporary directory, `--writers`
 * concurrent writers (one session each, one write in flight each) putting 16-byte keys (10 000,
 * all written once first) with 128-byte values (or `--value-bytes`) for `--seconds`. Prints
 * writes/s and the process's CPU per write (all three replicas: Raft, both engines, apply), the
 * figure to compare commits by, split into user and system time, with the page faults and context
 * switches per write (on this VM each costs several µs: a fresh 4 KiB page faulted in, a thread
 * woken for a LevelDB write).
 *
 *   npm run bench -w @ringkv/multiraft -- [--seconds 10] [--writers 64] [--partitions 16] [--value-bytes 128]
 *
 * Under `node --cpu-prof` it also prints the measured window in the profile's clock (monotonic
 * µs), so a profile can be cut to it: start-up and the preload (whose cache misses are not what
 * the figure measures) would otherwise take a third of the samples.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Prng, SystemClock, nodeId, utf8Encode } from '@ringkv/stdx';
import { VALUE_SIZE_BYTES_MAX, openKvEngine, openSegmentLogEngine } from '@ringkv/storage';
import { MemoryNetwork, Store } from '../src';
import type { ClusterConfig } from '../src';

const { values: args } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, writers: { type: 'string', default: '64' }, partitions: { type: 'string', default: '16' }, 'value-bytes': { type: 'string', default: '128' } },
});
const seconds = Number(args.seconds);
const valueBytes = Number(args['value-bytes']);
if (!Number.isSafeInteger(valueBytes) || valueBytes < 1 || valueBytes > VALUE_SIZE_BYTES_MAX) {
  throw new Error(`--value-bytes must be an integer in [1, ${VALUE_SIZE_BYTES_MAX}], got ${args['value-bytes']}`);
}
const KEYS = 10_000;
const writers = Number(args.writers);
const cluster: ClusterConfig = {
  clusterId: 'bench',
  nodes: [1, 2, 3].map((id) => ({ id, peerAddress: `peer-${id}`, apiAddress: `api-${id}` })),
  partitions: Number(args.partitions),
  replicationFactor: 3,
};

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ringkv-store-bench-'));
  const clock = new SystemClock();
  const net = new MemoryNetwork(clock, 0);
  const stores: Store[] = [];
  const closers: Array<() => Promise<void>> = [];
  for (const id of [1, 2, 3]) {
    const logEngine = await openSegmentLogEngine({ path: join(dir, `${id}-wal`) });
    const kvEngine = await openKvEngine({ path: join(dir, `${id}-kv`) });
    const store = new Store({ nodeId: nodeId(id), clock, prng: new Prng(id), transport: net.transport(nodeId(id)), logEngine, kvEngine, cluster });
    await store.start();
    stores.push(store);
    closers.push(async () => {
      await store.stop();
      await logEngine.close();
      await kvEngine.close();
    });
  }
  const findLeader = (partition: number): Store | undefined => stores.find((s) => s.status().partitions.some((p) => p.partition === partition && p.role === 'leader'));
  // Leaders cached per partition and looked up again only after a failed write: status() walks
  // every group's Raft state, and calling it per write measured ~6 % of the run.
  const leaders = new Map<number, Store>();
  const leaderOf = (partition: number): Store | undefined => {
    let leader = leaders.get(partition);
    if (leader === undefined) {
      leader = findLeader(partition);
      if (leader !== undefined) leaders.set(partition, leader);
    }
    return leader;
  };
  for (;;) {
    if (Array.from({ length: cluster.partitions }, (_, p) => findLeader(p)).every((s) => s !== undefined)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 1500)); // let preferred leaders settle
  const value = 'v'.repeat(valueBytes);
  // Every key once, as the cluster benchmark does, so the measured writes find their keys cached.
  const keyOf = (i: number): Uint8Array => utf8Encode(`k${String(i).padStart(15, '0')}`);
  for (let i = 0; i < KEYS; i += writers) {
    await Promise.all(
      Array.from({ length: Math.min(writers, KEYS - i) }, async (_, w) => {
        const key = keyOf(i + w);
        for (;;) {
          const partition = stores[0]!.partitionOf(key);
          const store = leaderOf(partition);
          try {
            if (store !== undefined) return await store.put({ key, value, session: { clientId: `preload${w}`, seq: i + 1 } });
          } catch {
            leaders.delete(partition); // a leader moved: look again
          }
          await new Promise((r) => setTimeout(r, 10));
        }
      }),
    );
  }
  let writes = 0;
  let errors = 0;
  let stop = false;
  const writer = async (w: number): Promise<void> => {
    const rng = new Prng(1000 + w);
    let seq = 0;
    while (!stop) {
      const key = keyOf(rng.int(KEYS));
      const partition = stores[0]!.partitionOf(key);
      const store = leaderOf(partition);
      if (store === undefined) {
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      try {
        await store.put({ key, value, session: { clientId: `w${w}`, seq: ++seq } });
        writes++;
      } catch {
        errors++;
        leaders.delete(partition);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  };
  const windowStartUs = process.hrtime.bigint() / 1000n;
  const cpu0 = process.cpuUsage();
  const ru0 = process.resourceUsage();
  const counts0 = stores.map((s) => s.stats());
  const t0 = performance.now();
  const running = Array.from({ length: writers }, (_, w) => writer(w));
  await new Promise((r) => setTimeout(r, seconds * 1000));
  stop = true;
  const elapsedS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const ru1 = process.resourceUsage();
  const done = writes;
  const perWrite = (pick: (s: ReturnType<Store['stats']>) => number): string =>
    (stores.reduce((sum, s, i) => sum + pick(s.stats()) - pick(counts0[i]!), 0) / done).toFixed(2);
  if (process.execArgv.some((a) => a.startsWith('--cpu-prof'))) console.log(`measured window (monotonic µs): ${windowStartUs} ${process.hrtime.bigint() / 1000n}`);
  await Promise.all(running);
  console.log(
    `${writers} writers, ${cluster.partitions} partitions, ${elapsedS.toFixed(1)} s: ${(done / elapsedS).toFixed(0)} writes/s, ` +
      `CPU ${(((cpu.user + cpu.system) / 1e6 / elapsedS) * 100).toFixed(0)}% of a core, ${((cpu.user + cpu.system) / done).toFixed(0)} µs CPU per write (3 replicas) (user ${(cpu.user / done).toFixed(0)}, system ${(cpu.system / done).toFixed(0)}), ${((ru1.minorPageFault - ru0.minorPageFault) / done).toFixed(1)} page faults and ${((ru1.voluntaryContextSwitches - ru0.voluntaryContextSwitches + ru1.involuntaryContextSwitches - ru0.involuntaryContextSwitches) / done).toFixed(1)} context switches per write, errors ${errors}`,
  );
  console.log(
    `  per write, summed over the 3 nodes: rounds ${perWrite((s) => s.rounds)}, log writes ${perWrite((s) => s.logWrites)}, fsyncs ${perWrite((s) => s.logSyncs)}, ` +
      `value cache misses ${perWrite((s) => s.cache.misses)}, session cache misses ${perWrite((s) => s.cache.sessionMisses)}`,
  );
  for (const close of closers) await close();
  await rm(dir, { recursive: true, force: true });
}

await main();
