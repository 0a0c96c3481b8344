/**
 * A replica whose stored data fails its checksum is quarantined for that partition only: it
 * serves nothing of it (UNAVAILABLE), says so in status and health, the partition goes on with
 * its other replicas, and the node's other partitions keep serving. At a restart the boot scan
 * finds the record again and quarantines the partition again instead of refusing to start.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { utf8Decode } from '@ringkv/stdx';
import { pack } from '../src/codec';
import type { Group } from '../src/group';
import type { Store } from '../src/store';
import { TestCluster } from './cluster';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

let seq = 0;
const session = () => ({ clientId: 'quarantine-test', seq: ++seq });
const DATA_TAG = 0x64; // storage's kv-keys.ts: data records

/** Flips one bit of the stored record of `key` in the node's KV database (under the engine). */
async function flipStoredRecord(c: TestCluster, id: number, key: Uint8Array): Promise<void> {
  const db = c.nodes.get(id)!.kvDb;
  for await (const [storageKey, value] of db.iterator({ keyEncoding: 'view', valueEncoding: 'view' })) {
    const k = storageKey as Uint8Array;
    if (k[0] !== DATA_TAG || utf8Decode(k.subarray(k.length - key.length)) !== utf8Decode(key)) continue;
    const flipped = (value as Uint8Array).slice();
    flipped[flipped.length - 1]! ^= 0x10;
    await db.put(k, flipped, { keyEncoding: 'view', valueEncoding: 'view' });
    return;
  }
  throw new Error('the record is not in the database');
}


describe('quarantine of a corrupt replica', () => {
  it('stops serving the partition on that node only, never serves the bad record, and survives a restart', async () => {
    const c = (cluster = await TestCluster.create({ partitions: 2 }));
    await c.waitForPreferredLeaders();
    const p = 0;
    const other = 1;
    const key = c.keyIn(p);
    await c.drive(c.leaderOf(p).put({ key, value: 'good', session: session() }));
    const leaderId = c.leaderIdOf(p)!;
    const followerId = c.ids.find((id) => id !== leaderId && c.store(id).status().partitions.some((s) => s.partition === p))!;
    await c.waitFor(() => c.store(followerId).status().partitions.find((s) => s.partition === p)!.applied >= c.leaderOf(p).status().partitions.find((s) => s.partition === p)!.applied);
    await flipStoredRecord(c, followerId, key);

    // A scan reads the database (no cache): the checksum fails, the partition is quarantined.
    const follower = c.store(followerId);
    const err = await c.failure(follower.scanPartition({ partition: p, prefix: new Uint8Array(0), limit: 10, consistency: 'stale' }));
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toMatch(/quarantined: its stored data is corrupt \(.*checksum/);
    expect(follower.status().partitions.find((s) => s.partition === p)).toMatchObject({ quarantined: true, leader: null });
    expect(follower.health()).toMatchObject({ ok: false, partitionsQuarantined: 1 });
    // Every later read of the partition here is refused, the cached value included.
    expect((await c.failure(follower.get(key, { consistency: 'stale' }))).code).toBe('UNAVAILABLE');

    // The node still serves its other partition, and the partition still takes writes elsewhere.
    const otherKey = c.keyIn(other);
    await c.drive(c.leaderOf(other).put({ key: otherKey, value: 'x', session: session() }));
    await c.waitFor(() => (c.store(followerId).status().partitions.find((s) => s.partition === other)?.applied ?? 0) >= c.leaderOf(other).status().partitions.find((s) => s.partition === other)!.applied);
    expect((await c.drive(follower.get(otherKey, { consistency: 'stale' }))).record?.value).toBe('x');
    await c.drive(c.leaderOf(p).put({ key, value: 'newer', session: session() }));
    const after = await c.drive(c.leaderOf(p).get(key, { consistency: 'linearizable' }));
    expect(after.record?.value).toBe('newer');

    // A restart does not refuse to boot: the boot scan quarantines the partition again.
    await c.stop(followerId);
    const restarted = await c.start(followerId);
    expect(restarted.status().partitions.find((s) => s.partition === p)?.quarantined).toBe(true);
    expect((await c.failure(restarted.get(key, { consistency: 'stale' }))).code).toBe('UNAVAILABLE');
  });

  it('quarantines a partition whose log holds a command that does not decode, on every replica, and keeps the node serving', async () => {
    const c = (cluster = await TestCluster.create({ partitions: 2 }));
    await c.waitForPreferredLeaders();
    const p = 0;
    const other = 1;
    await c.drive(c.leaderOf(p).put({ key: c.keyIn(p), value: 'before', session: session() }));
    // A command from a newer version (or a bug): queued the way the Store queues its own commands.
    const leader = c.leaderOf(p) as unknown as { groups: Map<number, Group>; scheduleRound(): void };
    leader.groups.get(p)!.queuedProposals.push({ data: pack([9, 0]) });
    leader.scheduleRound();
    const replicas = c.ids.filter((id) => c.store(id).status().partitions.some((s) => s.partition === p));
    await c.waitFor(() => replicas.every((id) => c.store(id).status().partitions.find((s) => s.partition === p)?.quarantined === true), 10_000, 'every replica quarantined');
    for (const id of replicas) {
      const store: Store = c.store(id);
      const err = await c.failure(store.get(c.keyIn(p), { consistency: 'stale' }));
      expect(err.code).toBe('UNAVAILABLE');
      expect(err.message).toContain('the command does not decode: unknown command tag 9');
      // The node did not stop: its other partition still takes writes and reads.
      expect(store.health().partitionsQuarantined).toBe(1);
    }
    const otherKey = c.keyIn(other);
    await c.drive(c.leaderOf(other).put({ key: otherKey, value: 'still', session: session() }));
    expect((await c.drive(c.leaderOf(other).get(otherKey, { consistency: 'linearizable' }))).record?.value).toBe('still');
  });
});
