/**
 * The fanned-out prefix watch under random faults (dropped sockets, replicas moving, a node
 * down, batches cut in half by a drop): every change under the prefix is delivered exactly once,
 * in revision order per partition, and a watch resumed from cursor() continues exactly there.
 */
import { describe, expect, it } from 'vitest';
import { Prng } from '@ringkv/stdx';
import { RingKVClient } from '../src/client';
import type { WatchEvent, WatchIterator } from '../src/types';
import { FakeCluster, NODES, addressOf, fakePartitioner, settle, testEnvironment } from './fake-cluster';

const PARTITIONS = 4;

function setup(seed: number) {
  const cluster = new FakeCluster(PARTITIONS);
  const { env, clock } = testEnvironment(seed);
  const client = new RingKVClient({
    endpoints: NODES.map(addressOf),
    transport: cluster,
    environment: env,
    partitioner: fakePartitioner,
    deadlineMs: 5_000,
    attemptTimeoutMs: 500,
    backoff: { baseMs: 5, capMs: 50 },
  });
  const run = <T>(p: Promise<T>): Promise<T> => settle(clock, p);
  const wait = (ms: number): Promise<void> => run(new Promise<void>((resolve) => clock.setTimer(ms, resolve)));
  return { cluster, client, run, wait };
}

/** What the consumer saw, per partition, as "revision:key". */
function byPartition(events: readonly WatchEvent[]): string[][] {
  const out: string[][] = Array.from({ length: PARTITIONS }, () => []);
  for (const e of events) out[e.partition]!.push(`${e.modRevision}:${String(e.key)}`);
  return out;
}

describe('prefix watch under random faults', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`seed ${seed}: exactly once, in order per partition, resumable from its cursor`, async () => {
      const { cluster, client, run, wait } = setup(seed);
      const prng = new Prng(seed);
      // Each partition on two of three nodes, which change as the test goes.
      const hosts: number[][] = Array.from({ length: PARTITIONS }, (_, p) => [cluster.partitions[p]!.leader, (cluster.partitions[p]!.leader % 3) + 1]);
      cluster.hostsOf = (p) => hosts[p]!;
      const expected: string[][] = Array.from({ length: PARTITIONS }, () => []);
      const record = (partition: number, revision: number, key: string) => expected[partition]!.push(`${revision}:${key}`);

      let watch: WatchIterator = client.watch({ prefix: 'r/', fromRevision: 1 });
      const seen: WatchEvent[] = [];
      const drain = async () => {
        try {
          while (seen.length < expected.flat().length) seen.push((await run(watch.next())).value!);
        } catch (e) {
          console.log(JSON.stringify({ seen: byPartition(seen), expected, open: cluster.openWatches, subs: cluster.subscriptions.slice(-12), hosts, cursor: watch.cursor() }));
          throw e;
        }
      };
      let n = 0;
      for (let step = 0; step < 60; step++) {
        const roll = prng.next();
        if (roll < 0.45) {
          const key = `r/${n++}`;
          const out = await run(client.put(key, step));
          record(cluster.partitionOfKey(key), out.modRevision, key);
        } else if (roll < 0.6) {
          // A batch of two keys in one partition: one revision, two events.
          const p = Math.floor(prng.next() * PARTITIONS);
          const keys: string[] = [];
          while (keys.length < 2) {
            const key = `r/${n++}`;
            if (cluster.partitionOfKey(key) === p) keys.push(key);
          }
          await run(client.writeBatch(keys.map((key) => ({ op: 'put' as const, key, value: step }))));
          for (const key of keys) record(p, cluster.partitions[p]!.revision, key);
        } else if (roll < 0.65) {
          await run(client.put(`other/${n++}`, step)); // outside the prefix: never delivered
        } else if (roll < 0.72) {
          cluster.dropWatches();
        } else if (roll < 0.8) {
          // A node goes down for a while: its subscriptions move to other replicas.
          const node = addressOf(NODES[Math.floor(prng.next() * NODES.length)]!);
          cluster.down.add(node);
          cluster.dropWatches();
          await wait(30);
          cluster.down.delete(node);
        } else if (roll < 0.88) {
          // A replica moves to the node that did not host the partition (its leader stays).
          const p = Math.floor(prng.next() * PARTITIONS);
          const leader = cluster.partitions[p]!.leader;
          const spare = NODES.find((id) => !hosts[p]!.includes(id))!;
          hosts[p] = [leader, spare];
          cluster.dropWatches();
        } else if (roll < 0.94) {
          // The consumer stops and a new watch takes over from its cursor.
          const cursor = watch.cursor();
          if (cursor !== undefined) {
            await watch.return!();
            watch = client.watch({ prefix: 'r/', cursor });
          }
        } else {
          // Read what arrived so far.
          await drain();
        }
      }
      await drain();
      expect(byPartition(seen)).toEqual(expected);
      // Nothing more is pending: no duplicate shows up later.
      await run(client.put('r/last', 0));
      const last = (await run(watch.next())).value!;
      expect(last.key).toBe('r/last');
      await watch.return!();
      expect(cluster.openWatches).toBe(0);
    });
  }
});
