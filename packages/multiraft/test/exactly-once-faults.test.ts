/**
 * Exactly once under faults: nodes are cut off and healed at random (seeded) while one client
 * session keeps writing to one key, retrying each write with its own (clientId, seq) at whichever
 * node leads now until it is acknowledged. Every write bumps the key's version by one, so the
 * final version must equal the number of writes: a duplicate apply or a lost ack'd write shows.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Prng } from '@ringkv/stdx';
import { StoreError } from '../src';
import { TestCluster } from './cluster';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('exactly once under partitions', () => {
  it.each([1, 2, 3])('keeps one apply per write (seed %i)', async (seed) => {
    cluster = await TestCluster.create({ seed, partitions: 2 });
    const c = cluster;
    await c.waitForLeaders();
    const prng = new Prng(seed).fork('faults');
    const key = c.keyIn(1, 'counter');
    const writes = 25;
    let isolated: number | undefined;
    let retries = 0;
    for (let seq = 1; seq <= writes; seq++) {
      const tag = { clientId: `faulty-${seed}`, seq };
      for (let attempt = 0; ; attempt++) {
        expect(attempt).toBeLessThan(200);
        // heal now and then
        if (isolated !== undefined && prng.chance(0.5)) {
          c.net.isolate(isolated as never, false, c.ids);
          isolated = undefined;
        }
        const leader = c.leaderIdOf(1);
        if (leader === undefined) {
          await c.runFor(20);
          continue;
        }
        const pending = c.store(leader).put({ key, value: seq, session: tag });
        pending.catch(() => undefined);
        // cut the leader off at a random instant of the write: before it replicates, after the
        // followers have the entry but before the ack, or after it is answered
        await c.runFor(prng.int(5));
        if (isolated === undefined && prng.chance(0.4)) {
          isolated = leader;
          c.net.isolate(leader as never, true, c.ids);
        }
        try {
          const answer = await c.drive(pending, 5_000);
          expect(answer.version).toBe(seq);
          break;
        } catch (error) {
          expect(error).toBeInstanceOf(StoreError);
          expect((error as StoreError).retryable).toBe(true);
          retries++;
          await c.runFor(prng.range(5, 50));
        }
      }
    }
    if (isolated !== undefined) c.net.isolate(isolated as never, false, c.ids);
    await c.waitForLeaders();
    const got = await c.drive(c.leaderOf(1).get(key, { consistency: 'linearizable' }));
    expect(got.record?.version).toBe(writes);
    expect(got.record?.value).toBe(writes);
    // the faults did hit writes in flight (else this test proves nothing)
    expect(retries).toBeGreaterThan(0);
  });
});
