/** Store.stats(): the counters move with the work that they count. */
import { afterEach, describe, expect, it } from 'vitest';
import { nodeId } from '@ringkv/stdx';
import type { StoreStats } from '../src';
import { TestCluster } from './cluster';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

let seq = 0;
const session = () => ({ clientId: 'stats-test', seq: ++seq });
const sum = (list: readonly StoreStats[], f: (s: StoreStats) => number) => list.reduce((a, s) => a + f(s), 0);

describe('Store.stats', () => {
  it('counts rounds, log writes, applied entries, elections, in-flight work and cache use', async () => {
    const c = (cluster = await TestCluster.create({ partitions: 2 }));
    await c.waitForPreferredLeaders();
    const p = 0;
    const leader = c.leaderOf(p);
    const initial = c.running().map((s) => s.stats());
    // Every partition elected a leader: someone stood for election, every replica saw a leader.
    expect(sum(initial, (s) => s.elections)).toBeGreaterThanOrEqual(2);
    for (const s of initial) expect(s.leaderChanges).toBeGreaterThanOrEqual(2);

    const before = leader.stats();
    const key = c.keyIn(p);
    const writing = leader.put({ key, value: 'x'.repeat(100), session: session() });
    expect(leader.stats().proposalsInFlight).toBe(1);
    await c.drive(writing);
    expect(leader.stats().proposalsInFlight).toBe(0);
    for (let i = 0; i < 9; i++) await c.drive(leader.put({ key: c.keyIn(p), value: 'y'.repeat(100), session: session() }));
    const reading = leader.get(key, { consistency: 'linearizable' });
    expect(leader.stats().readsInFlight).toBe(1);
    await c.drive(reading);
    await c.drive(leader.get(key, { consistency: 'stale' }));
    await c.runFor(30);

    const after = leader.stats();
    expect(after.rounds).toBeGreaterThan(before.rounds);
    expect(after.logWrites).toBeGreaterThan(before.logWrites);
    expect(after.logWrites).toBeLessThanOrEqual(after.rounds);
    expect(after.logEntriesWritten - before.logEntriesWritten).toBeGreaterThanOrEqual(10);
    expect(after.logEntryBytesWritten - before.logEntryBytesWritten).toBeGreaterThanOrEqual(10 * 100);
    expect(after.entriesApplied - before.entriesApplied).toBeGreaterThanOrEqual(10);
    expect(after.cache.hits + after.cache.misses).toBeGreaterThan(before.cache.hits + before.cache.misses);
    for (const s of c.running()) {
      const part = s.stats().partitions.find((x) => x.partition === p)!;
      expect(part.applied).toBe(part.commit);
      expect(part.applyLagEntries).toBe(0);
      expect(part.leader).toBe(leader.nodeId);
      expect(part.role).toBe(s === leader ? 'leader' : 'follower');
      expect(part.stalenessMs).not.toBeNull();
    }
  });

  it('counts snapshots sent and received when a replica falls behind the compaction point', async () => {
    const c = (cluster = await TestCluster.create({ partitions: 1, config: { compactionThresholdEntries: 30, compactionRetainEntries: 5 } }));
    await c.waitForPreferredLeaders();
    const leaderId = c.leaderIdOf(0)!;
    const lagging = c.followerIdOf(0);
    c.net.isolate(nodeId(lagging), true, c.ids);
    for (let i = 0; i < 60; i++) await c.drive(c.store(leaderId).put({ key: c.keyIn(0), value: i, session: session() }));
    await c.runFor(30);
    expect(c.store(leaderId).stats().snapshotsSent).toBe(0);
    c.net.isolate(nodeId(lagging), false, c.ids);
    const target = c.store(leaderId).stats().partitions[0]!.applied;
    await c.waitFor(() => c.store(lagging).stats().partitions[0]!.applied >= target, 10_000, 'the lagging replica to catch up');
    expect(c.store(leaderId).stats().snapshotsSent).toBeGreaterThanOrEqual(1);
    expect(c.store(lagging).stats().snapshotsReceived).toBeGreaterThanOrEqual(1);
  });
});
