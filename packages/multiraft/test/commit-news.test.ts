/**
 * Commit news (an append without entries that only moves a caught-up follower's commit index)
 * waits for the next frame to its node, at most commitNewsHoldMs (outbox.ts NewsHold).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TestCluster } from './cluster';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

async function setup(commitNewsHoldMs: number) {
  // Heartbeats every 100 ms here, so they do not carry the commit index meanwhile.
  const c = (cluster = await TestCluster.create({ partitions: 1, config: { tickMs: 100, commitNewsHoldMs } }));
  await c.waitForPreferredLeaders();
  const leader = c.leaderOf(0);
  const key = c.keyIn(0);
  const follower = c.store(c.followerIdOf(0));
  let seq = 0;
  const put = () => leader.put({ key, value: `v${seq}`, session: { clientId: 'news', seq: ++seq } });
  await c.drive(put());
  await c.runFor(150);
  return { c, leader, follower, put, commitOf: (s: typeof leader) => s.status().partitions[0]!.commit };
}

describe('commit news', () => {
  it('waits for the next frame to the follower, or leaves alone once its time is up', async () => {
    const { c, leader, follower, put, commitOf } = await setup(30);
    await c.drive(put());
    const index = commitOf(leader);
    await c.runFor(10);
    expect(commitOf(follower)).toBeLessThan(index); // held
    // The next write's append carries it.
    await c.drive(put());
    expect(commitOf(follower)).toBeGreaterThanOrEqual(index);
    const second = commitOf(leader);
    // Nothing else to send: it leaves on its own once commitNewsHoldMs is up.
    await c.runFor(10);
    expect(commitOf(follower)).toBeLessThan(second);
    await c.runFor(25);
    expect(commitOf(follower)).toBe(second);
  });

  it('halves the frames of one write at a time: appends and their answers only', async () => {
    const { c, put } = await setup(1_000);
    const before = c.net.framesSent;
    for (let i = 0; i < 10; i++) await c.drive(put());
    // Per write: an append to each follower and its answer (4); the commit rides with the next.
    // Sent at once, each commit would cost 4 more (the news and its answers).
    expect(c.net.framesSent - before).toBeLessThanOrEqual(10 * 4 + 4);
  });
});
