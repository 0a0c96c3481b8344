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

  it('times rounds, log writes and KV writes by the Store clock', async () => {
    const c = (cluster = await TestCluster.create({ partitions: 1 }));
    await c.waitForPreferredLeaders();
    const leader = c.leaderOf(0);
    const logEngine = c.nodes.get(leader.nodeId)!.logEngine!;
    const kvEngine = c.kvEngine(leader.nodeId);
    // Memory engines land in no time on a manual clock: make each write on the leader take time
    // (the clock jumps while it is in flight), 5 ms for a log write and 2 ms for a KV write.
    let jumpMs = 0;
    const baseNow = c.clock.nowMs.bind(c.clock);
    c.clock.nowMs = () => baseNow() + jumpMs;
    const commit = logEngine.commit.bind(logEngine);
    logEngine.commit = async (batch, options) => {
      await commit(batch, options);
      if (!batch.isEmpty) jumpMs += 5;
    };
    const write = kvEngine.write.bind(kvEngine);
    kvEngine.write = async (batch) => {
      await write(batch);
      if (!batch.isEmpty) jumpMs += 2;
    };
    const before = leader.stats();
    for (let i = 0; i < 5; i++) await c.drive(leader.put({ key: c.keyIn(0), value: i, session: session() }));
    const after = leader.stats();
    const logWrites = after.logWrites - before.logWrites;
    const kvWrites = after.kvWrites - before.kvWrites;
    expect(logWrites).toBeGreaterThanOrEqual(5);
    expect(kvWrites).toBeGreaterThanOrEqual(5);
    // A write running alongside the other (the early apply's KV write during the log write) may
    // also see the other's jump.
    expect(after.logWriteMs - before.logWriteMs).toBeGreaterThanOrEqual(5 * logWrites);
    expect(after.logWriteMs - before.logWriteMs).toBeLessThanOrEqual(7 * logWrites);
    expect(after.kvWriteMs - before.kvWriteMs).toBeGreaterThanOrEqual(2 * kvWrites);
    expect(after.kvWriteMs - before.kvWriteMs).toBeLessThanOrEqual(7 * kvWrites);
    expect(after.roundMs - before.roundMs).toBeGreaterThanOrEqual(after.logWriteMs - before.logWriteMs);
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
