/** A prefix watch narrowed to one partition: served by any replica of it, refused elsewhere with a hint. */
import { afterEach, describe, expect, it } from 'vitest';
import { utf8Encode } from '@ringkv/stdx';
import { StoreError } from '../src';
import type { WatchEvent } from '../src';
import { TestCluster } from './cluster';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('partition prefix watch', () => {
  it('streams one partition from a replica that hosts it; other nodes name one that does', async () => {
    const c = (cluster = await TestCluster.create({ nodes: 4, partitions: 8, replicationFactor: 3 }));
    await c.waitForLeaders();
    const placement = c.store(1).placement();
    // A node and a partition it does not host, and one it does.
    const outsider = c.ids.find((id) => placement.groups.some((g) => !g.replicas.includes(id)))!;
    const missing = placement.groups.find((g) => !g.replicas.includes(outsider))!.partition;
    const hosted = placement.groups.find((g) => g.replicas.includes(outsider))!.partition;
    const sink = (events: WatchEvent[]) => ({ onEvent: (e: WatchEvent) => events.push(e), onError: (e: StoreError) => { throw e; } });

    let refused: unknown;
    try {
      c.store(outsider).watch({ prefix: utf8Encode('pw'), partition: missing }, sink([]));
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(StoreError);
    expect((refused as StoreError).code).toBe('NOT_LEADER');
    expect(placement.groups[missing]!.replicas).toContain((refused as StoreError).data.leaderHint);
    // Without a partition, a node that lacks one cannot serve the whole prefix.
    expect(() => c.store(outsider).watch({ prefix: utf8Encode('pw') }, sink([]))).toThrow(/watch each partition/);

    const events: WatchEvent[] = [];
    const handle = c.store(outsider).watch({ prefix: utf8Encode('pw'), partition: hosted }, sink(events));
    let seq = 0;
    const inHosted = c.keyIn(hosted, 'pw');
    const elsewhere = c.keyIn((hosted + 1) % 8, 'pw');
    for (const key of [inHosted, elsewhere]) {
      const p = c.store(1).partitionOf(key);
      await c.drive(c.leaderOf(p).put({ key, value: 'v', session: { clientId: 'pw', seq: ++seq } }));
    }
    await c.runFor(30);
    handle.cancel();
    expect(events.map((e) => e.partition)).toEqual([hosted]);
    expect(events[0]!.key).toEqual(inHosted);
  });
});
