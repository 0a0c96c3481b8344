/**
 * Many concurrent writers against the fake cluster while faults come and go (leaders move, hints
 * go missing or wrong, replies are lost after the write applied, nodes refuse connections,
 * elections make partitions unavailable). Checked per seed: every acknowledged write was applied
 * exactly once, no session ever had two writes in flight (the fake throws if so), and each
 * session's sequence numbers were used in order.
 */
import { Prng } from '@ringkv/stdx';
import { describe, expect, it } from 'vitest';
import { RingKVClient } from '../src/client';
import { sleep } from '../src/environment';
import { RingKVError } from '../src/errors';
import { FakeCluster, NODES, addressOf, fakePartitioner, settle, testEnvironment } from './fake-cluster';

async function chaosRun(seed: number): Promise<void> {
  const cluster = new FakeCluster(6);
  const { env, clock } = testEnvironment(seed);
  const client = new RingKVClient({
    endpoints: NODES.map(addressOf),
    transport: cluster,
    environment: env,
    partitioner: fakePartitioner,
    deadlineMs: 20_000,
    attemptTimeoutMs: 300,
    concurrency: 5,
    backoff: { baseMs: 5, capMs: 100 },
  });
  const faults = new Prng(seed).fork('faults');
  const stopFaults = { stop: false };
  const chaos = (): void => {
    if (stopFaults.stop) return;
    const roll = faults.int(7);
    if (roll === 0) cluster.partitions[faults.int(6)]!.leader = faults.pick(NODES);
    if (roll === 1) cluster.hintMode = faults.pick(['correct', 'none', 'wrong'] as const);
    if (roll === 2) cluster.loseReplies.set(addressOf(faults.pick(NODES)), faults.int(3));
    if (roll === 3) {
      cluster.down.clear();
      if (faults.chance(0.5)) cluster.down.add(addressOf(faults.pick(NODES)));
    }
    if (roll === 4) cluster.unavailableFor = faults.int(4);
    if (roll === 5) cluster.placementShowsLeaders = faults.chance(0.5);
    if (roll === 6) {
      cluster.hanging.clear();
      if (faults.chance(0.3)) cluster.hanging.add(addressOf(faults.pick(NODES)));
    }
    clock.setTimer(faults.range(5, 60), chaos);
  };
  chaos();

  const starts = new Prng(seed).fork('starts');
  const writes = Array.from({ length: 200 }, (_, i) => ({ key: `key-${i % 17}`, value: i, atMs: starts.int(3_000) }));
  const outcomes = await settle(
    clock,
    Promise.all(
      writes.map((w) =>
        sleep(clock, w.atMs)
          .then(() => client.put(w.key, w.value, { deadlineMs: 2_000 }))
          .then(
          () => 'ok' as const,
          (e: unknown) => {
            expect(e).toBeInstanceOf(RingKVError);
            return (e as RingKVError).code;
          },
        ),
      ),
    ),
    120_000,
  );
  stopFaults.stop = true;
  expect(clock.nowMs()).toBeGreaterThan(2_000);
  const acknowledged = outcomes.filter((o) => o === 'ok').length;
  const applied = cluster.partitions.reduce((n, p) => n + p.applied, 0);
  // Every acknowledged write was applied once; an unacknowledged one (timed out) at most once.
  expect(applied).toBeGreaterThanOrEqual(acknowledged);
  expect(applied).toBeLessThanOrEqual(writes.length);
  expect(acknowledged).toBeGreaterThan(writes.length / 2);

  const perSession = new Map<string, number[]>();
  for (const call of cluster.callsTo('kv.put')) {
    const { clientId, seq } = call.input.session;
    const seqs = perSession.get(clientId) ?? [];
    if (seqs.at(-1) !== seq) seqs.push(seq);
    perSession.set(clientId, seqs);
  }
  for (const seqs of perSession.values()) expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  // Distinct (clientId, seq) pairs applied: every session entry in the fakes' tables is unique.
  const appliedTags = cluster.partitions.flatMap((p) => [...p.sessions.entries()].map(([id, s]) => `${id}/${s.seq}`));
  expect(new Set(appliedTags).size).toBe(appliedTags.length);
  await client.close();
}

describe('writes under faults', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`seed ${seed}: acknowledged writes applied exactly once, sessions in order`, async () => {
      await chaosRun(seed);
    });
  }
});
