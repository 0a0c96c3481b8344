import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { RingKVClient } from '../src/client';
import { RingKVError } from '../src/errors';
import { FakeCluster, addressOf, fakePartitioner, settle, testEnvironment } from './fake-cluster';

function setup(options: { concurrency?: number; deadlineMs?: number; attemptTimeoutMs?: number; seed?: number } = {}) {
  const cluster = new FakeCluster(4);
  const { env, clock } = testEnvironment(options.seed ?? 1);
  const client = new RingKVClient({
    endpoints: ['n1', 'n2', 'n3'],
    transport: cluster,
    environment: env,
    partitioner: fakePartitioner,
    deadlineMs: options.deadlineMs ?? 5_000,
    attemptTimeoutMs: options.attemptTimeoutMs ?? 500,
    concurrency: options.concurrency ?? 8,
    backoff: { baseMs: 10, capMs: 200 },
  });
  const run = <T>(p: Promise<T>): Promise<T> => settle(clock, p);
  return { cluster, client, clock, run };
}

/** A key in the given partition of the fake (byte-sum hash). */
function keyIn(cluster: FakeCluster, partition: number, tag = 'k'): string {
  for (let i = 0; ; i++) {
    const key = `${tag}${i}`;
    if (cluster.partitionOfKey(key) === partition) return key;
  }
}

describe('routing', () => {
  it('loads the placement once and sends each key to its partition leader', async () => {
    const { cluster, client, run } = setup();
    for (let p = 0; p < 4; p++) {
      const key = keyIn(cluster, p);
      await run(client.put(key, `v${p}`));
      expect(cluster.calls.at(-1)!.endpoint).toBe(addressOf(cluster.partitions[p]!.leader));
    }
    expect(cluster.callsTo('cluster.placement')).toHaveLength(1);
    expect(cluster.callsTo('kv.put').every((c) => c.endpoint === addressOf(cluster.partitions[cluster.partitionOfKey(c.input.key)]!.leader))).toBe(true);
  });

  it('follows a NOT_LEADER hint at once after the leader moved, and caches the new leader', async () => {
    const { cluster, client, run } = setup();
    const key = keyIn(cluster, 1);
    await run(client.put(key, 'a'));
    cluster.partitions[1]!.leader = 3;
    const before = cluster.calls.length;
    await run(client.put(key, 'b'));
    expect(cluster.calls.slice(before).map((c) => c.endpoint)).toEqual(['n2', 'n3']);
    // The retry goes on its own, never in a pipeline (whose answer may be what failed it).
    expect(cluster.calls.slice(before).map((c) => c.alone)).toEqual([false, true]);
    const again = cluster.calls.length;
    await run(client.get(key));
    expect(cluster.calls.slice(again).map((c) => c.endpoint)).toEqual(['n3']);
  });

  it('after a forwarded answer names the new leader, sends the next calls straight to it', async () => {
    const { cluster, client, run } = setup();
    cluster.forwarding = true;
    const key = keyIn(cluster, 1); // led by n2
    await run(client.put(key, 'a'));
    cluster.partitions[1]!.leader = 3;
    const before = cluster.calls.length;
    // The former leader forwards this one (one call, answered), and its answer names n3...
    await run(client.put(key, 'b'));
    expect(cluster.calls.slice(before).map((c) => c.endpoint)).toEqual(['n2']);
    expect(cluster.forwarded).toBe(1);
    // ...so a get, a put and a delete after it go to n3 with no hop and no placement reload.
    const after = cluster.calls.length;
    expect((await run(client.get(key)))!.value).toBe('b');
    await run(client.put(key, 'c'));
    await run(client.delete(key));
    expect(cluster.calls.slice(after).map((c) => c.endpoint)).toEqual(['n3', 'n3', 'n3']);
    expect(cluster.forwarded).toBe(1);
    expect(cluster.callsTo('cluster.placement')).toHaveLength(1);
  });

  it('learns a moved leader from a forwarded getMany or writeBatch of one partition as well', async () => {
    const { cluster, client, run } = setup();
    cluster.forwarding = true;
    const [a, b] = [keyIn(cluster, 2, 'a'), keyIn(cluster, 3, 'b')]; // led by n3 and n1
    await run(client.put(a, 'x'));
    await run(client.put(b, 'y'));
    cluster.partitions[2]!.leader = 1;
    cluster.partitions[3]!.leader = 2;
    await run(client.getMany([a]));
    await run(client.writeBatch([{ op: 'put', key: b, value: 'z' }]));
    expect(cluster.forwarded).toBe(2);
    const after = cluster.calls.length;
    await run(client.get(a));
    await run(client.get(b));
    expect(cluster.calls.slice(after).map((c) => c.endpoint)).toEqual(['n1', 'n2']);
    expect(cluster.forwarded).toBe(2);
  });

  it('learns the address of a leader it had none for from a forwarded answer', async () => {
    const { cluster, client, run } = setup();
    cluster.forwarding = true;
    const key = keyIn(cluster, 0); // led by n1
    await run(client.get(key));
    // A node that joined after the placement was loaded: the placement names no address for it.
    const placement = (client as unknown as { router: { currentPlacement(): { addressOf(n: number): string | undefined } } }).router.currentPlacement();
    expect(placement.addressOf(4)).toBeUndefined();
    cluster.partitions[0]!.leader = 4;
    await run(client.get(key));
    expect(placement.addressOf(4)).toBe('n4');
    const after = cluster.calls.length;
    await run(client.get(key));
    expect(cluster.calls.slice(after).map((c) => c.endpoint)).toEqual(['n4']);
  });

  it('without a hint, refreshes the placement and tries other replicas until the leader answers', async () => {
    const { cluster, client, clock, run } = setup();
    const key = keyIn(cluster, 0);
    await run(client.get(key));
    cluster.hintMode = 'none';
    cluster.placementShowsLeaders = false;
    cluster.partitions[0]!.leader = 2;
    clock.advance(1_000); // past the placement refresh interval
    const entry = await run(client.put(key, 'x'));
    expect(entry.version).toBe(1);
    expect(cluster.callsTo('cluster.placement')).toHaveLength(2);
    expect(cluster.callsTo('kv.put').at(-1)!.endpoint).toBe('n2');
  });

  it('a placement that named no leader for some partition is reloaded sooner', async () => {
    const { cluster, client, clock, run } = setup();
    cluster.placementShowsLeaders = false;
    await run(client.get('a'));
    clock.advance(1_100);
    await run(client.get('a'));
    expect(cluster.callsTo('cluster.placement')).toHaveLength(2);
    cluster.placementShowsLeaders = true;
    clock.advance(1_100);
    await run(client.get('a'));
    expect(cluster.callsTo('cluster.placement')).toHaveLength(3);
    clock.advance(1_100);
    await run(client.get('a'));
    expect(cluster.callsTo('cluster.placement')).toHaveLength(3);
  });

  it('reloads an aged placement in the background and follows the leaders it names', async () => {
    const { cluster, client, clock, run } = setup();
    const key = keyIn(cluster, 0);
    await run(client.get(key));
    cluster.partitions[0]!.leader = 3;
    cluster.hintMode = 'none';
    clock.advance(6_000); // past placementMaxAgeMs
    await run(client.get(key));
    expect(cluster.callsTo('cluster.placement')).toHaveLength(2);
    const before = cluster.calls.length;
    await run(client.get(key));
    expect(cluster.calls.slice(before).map((c) => c.endpoint)).toEqual(['n3']);
  });

  it('survives wrong hints by falling back to backoff and the replica list', async () => {
    const { cluster, client, run } = setup();
    const key = keyIn(cluster, 2);
    await run(client.get(key));
    cluster.hintMode = 'wrong';
    cluster.placementShowsLeaders = false;
    cluster.partitions[2]!.leader = 1;
    await run(client.put(key, 'y'));
    expect((await run(client.get(key)))!.value).toBe('y');
  });

  it('routes around a node that refuses connections', async () => {
    const { cluster, client, run } = setup();
    const key = keyIn(cluster, 0); // led by n1
    await run(client.get(key));
    cluster.down.add('n1');
    cluster.partitions[0]!.leader = 2;
    await run(client.put(key, 'v'));
    expect(cluster.callsTo('kv.put').at(-1)!.endpoint).toBe('n2');
  });

  it('retries UNAVAILABLE (an election) with backoff and succeeds once a leader exists', async () => {
    const { cluster, client, clock, run } = setup();
    const key = keyIn(cluster, 3);
    await run(client.get(key));
    cluster.unavailableFor = 4;
    const started = clock.nowMs();
    await run(client.put(key, 'after-election'));
    const puts = cluster.callsTo('kv.put');
    expect(puts.length).toBeGreaterThanOrEqual(5);
    expect(new Set(puts.map((c) => JSON.stringify(c.input.session))).size).toBe(1);
    expect(cluster.partitions[3]!.applied).toBe(1);
    expect(clock.nowMs()).toBeGreaterThan(started);
  });

  it('stale reads may be served by a follower', async () => {
    const { cluster, client, run } = setup({ seed: 7 });
    const key = keyIn(cluster, 0);
    await run(client.put(key, 'v'));
    const endpoints = new Set<string>();
    for (let i = 0; i < 30; i++) {
      await run(client.get(key, { consistency: 'stale' }));
      endpoints.add(cluster.calls.at(-1)!.endpoint);
    }
    expect(endpoints.size).toBeGreaterThan(1);
  });
});

describe('deadlines', () => {
  it('gives up with TIMEOUT once the deadline passes, naming the last failure', async () => {
    const { cluster, client, clock, run } = setup({ deadlineMs: 1_000 });
    const key = keyIn(cluster, 0);
    await run(client.get(key));
    cluster.unavailableFor = 1_000_000;
    const started = clock.nowMs();
    const error = (await run(client.get(key)).catch((e: unknown) => e)) as RingKVError;
    expect(error).toBeInstanceOf(RingKVError);
    expect((error as RingKVError).code).toBe('TIMEOUT');
    expect((error as RingKVError).data.lastCode).toBe('UNAVAILABLE');
    expect((error as RingKVError).data.attempts).toBeGreaterThan(2);
    expect(clock.nowMs() - started).toBeGreaterThanOrEqual(1_000);
    expect(clock.nowMs() - started).toBeLessThan(1_100);
  });

  it('an attempt to a hanging node times out and the next attempt goes elsewhere', async () => {
    const { cluster, client, clock, run } = setup({ attemptTimeoutMs: 200 });
    const key = keyIn(cluster, 0); // led by n1
    await run(client.get(key));
    cluster.hanging.add('n1');
    cluster.partitions[0]!.leader = 2;
    const started = clock.nowMs();
    await run(client.put(key, 'v'));
    expect(clock.nowMs() - started).toBeGreaterThanOrEqual(200);
    expect(cluster.callsTo('kv.put').at(-1)!.endpoint).toBe('n2');
  });

  it('the deadline holds even when the transport ignores the abort signal', async () => {
    const { cluster, client, clock, run } = setup({ deadlineMs: 1_000, attemptTimeoutMs: 200 });
    const key = keyIn(cluster, 0); // led by n1
    await run(client.get(key));
    cluster.deaf.add('n1');
    cluster.partitions[0]!.leader = 2;
    const started = clock.nowMs();
    // The attempt to n1 never settles; the SDK abandons it after 200 ms and moves on to n2.
    await run(client.get(key));
    expect(clock.nowMs() - started).toBeGreaterThanOrEqual(200);
    expect(clock.nowMs() - started).toBeLessThan(1_000);
    for (const n of ['n2', 'n3']) cluster.deaf.add(n);
    const error = (await run(client.get(key)).catch((e: unknown) => e)) as RingKVError;
    expect(error.code).toBe('TIMEOUT');
  });

  it('a placement load that hangs does not stretch a request past its deadline', async () => {
    const { cluster, client, clock, run } = setup();
    for (const n of ['n1', 'n2', 'n3']) cluster.hanging.add(n);
    const started = clock.nowMs();
    const error = (await run(client.get('k', { deadlineMs: 400 })).catch((e: unknown) => e)) as RingKVError;
    expect(error.code).toBe('TIMEOUT');
    expect(clock.nowMs() - started).toBeLessThan(450);
  });

  it('does not retry what the server refused for good', async () => {
    const { cluster, client, run } = setup();
    const key = keyIn(cluster, 1);
    await run(client.put(key, 'a'));
    const error = (await run(client.put(key, 'b', { ifVersion: 7 })).catch((e: unknown) => e)) as RingKVError;
    expect(error.code).toBe('CONDITION_FAILED');
    expect(error.data.currentVersion).toBe(1);
    expect(cluster.callsTo('kv.put')).toHaveLength(2);
  });

  it('a caller abort stops retries with ABORTED', async () => {
    const { cluster, client, clock, run } = setup();
    const key = keyIn(cluster, 1);
    await run(client.get(key));
    cluster.unavailableFor = 1_000_000;
    const controller = new AbortController();
    clock.setTimer(50, () => controller.abort());
    const error = (await run(client.get(key, { signal: controller.signal })).catch((e: unknown) => e)) as RingKVError;
    expect(error.code).toBe('ABORTED');
  });
});

describe("the caller's AbortSignal", () => {
  it('leaves no listener behind after many operations and retries that shared it', async () => {
    const { cluster, client, run } = setup();
    const key = keyIn(cluster, 1);
    const controller = new AbortController();
    for (let i = 0; i < 50; i++) await run(client.put(key, `v${i}`, { signal: controller.signal }));
    for (let i = 0; i < 50; i++) await run(client.get(key, { signal: controller.signal }));
    cluster.unavailableFor = 3; // retried attempts link and unlink too
    await run(client.get(key, { signal: controller.signal }));
    cluster.partitions[1]!.leader = 3; // a NOT_LEADER hop
    await run(client.put(key, 'moved', { signal: controller.signal }));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('an abort while an attempt is in flight ends the operation with ABORTED at once', async () => {
    const { cluster, client, clock, run } = setup({ attemptTimeoutMs: 2_000 });
    const key = keyIn(cluster, 0); // led by n1
    await run(client.get(key));
    cluster.hanging.add('n1');
    const controller = new AbortController();
    clock.setTimer(30, () => controller.abort());
    const started = clock.nowMs();
    const error = (await run(client.put(key, 'v', { signal: controller.signal })).catch((e: unknown) => e)) as RingKVError;
    expect(error.code).toBe('ABORTED');
    expect(clock.nowMs() - started).toBeLessThan(100); // not the 2 s attempt timeout
    expect(error.data.clientId).toBeDefined(); // the write's outcome is unknown: it names its session
  });
});

describe('exactly-once writes', () => {
  it('a write whose reply was lost is retried with the same (clientId, seq) and applied once', async () => {
    const { cluster, client, run } = setup();
    const key = keyIn(cluster, 0); // led by n1
    await run(client.get(key));
    cluster.loseReplies.set('n1', 1);
    const result = await run(client.put(key, 'once'));
    const puts = cluster.callsTo('kv.put');
    expect(puts.length).toBeGreaterThanOrEqual(2);
    for (const put of puts) expect(put.input.session).toEqual(puts[0]!.input.session);
    expect(cluster.partitions[0]!.applied).toBe(1);
    expect(result.version).toBe(1);
  });

  it('a retry after a leader change keeps its session sequence', async () => {
    const { cluster, client, run } = setup();
    const key = keyIn(cluster, 0);
    await run(client.get(key));
    cluster.loseReplies.set('n1', 1);
    cluster.down.add('n2');
    const promise = client.put(key, 'v');
    const result = await run(promise);
    expect(result.version).toBe(1);
    const sessions = cluster.callsTo('kv.put').map((c) => JSON.stringify(c.input.session));
    expect(new Set(sessions).size).toBe(1);
  });

  it('each session has at most one write in flight and sequence numbers increase by one', async () => {
    const { cluster, client, run } = setup({ concurrency: 3 });
    cluster.loseReplies.set('n2', 5);
    cluster.unavailableFor = 6;
    const keys = Array.from({ length: 40 }, (_, i) => `key-${i}`);
    await run(Promise.all(keys.map((k, i) => client.put(k, i))));
    const puts = cluster.callsTo('kv.put');
    const bySession = new Map<string, number[]>();
    for (const call of puts) {
      const { clientId, seq } = call.input.session;
      bySession.set(clientId, [...(bySession.get(clientId) ?? []), seq]);
    }
    expect(bySession.size).toBeLessThanOrEqual(3);
    for (const seqs of bySession.values()) {
      const distinct = [...new Set(seqs)];
      expect(distinct).toEqual(distinct.map((_, i) => i + 1));
      // a seq's attempts are consecutive: the next seq never starts before the last one ended
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThanOrEqual(seqs[i - 1]!);
    }
    const applied = cluster.partitions.reduce((n, p) => n + p.applied, 0);
    expect(applied).toBe(40);
  });

  it('a write whose outcome stayed unknown retires its session', async () => {
    const { cluster, client, run } = setup({ concurrency: 1, deadlineMs: 300 });
    const key = keyIn(cluster, 0);
    await run(client.get(key));
    cluster.unavailableFor = 1_000_000;
    const error = (await run(client.put(key, 'x')).catch((e: unknown) => e)) as RingKVError;
    expect(error.code).toBe('TIMEOUT');
    const first = cluster.callsTo('kv.put')[0]!.input.session;
    expect(error.data.clientId).toBe(first.clientId);
    cluster.unavailableFor = 0;
    await run(client.put(key, 'y'));
    const last = cluster.callsTo('kv.put').at(-1)!.input.session;
    expect(last.clientId).not.toBe(first.clientId);
    expect(last.seq).toBe(1);
  });

  it('a definite refusal keeps the session, and the next write takes the next seq', async () => {
    const { cluster, client, run } = setup({ concurrency: 1 });
    const key = keyIn(cluster, 0);
    await run(client.put(key, 'a'));
    await run(client.put(key, 'b', { ifVersion: 9 }).catch(() => undefined));
    await run(client.put(key, 'c'));
    const sessions = cluster.callsTo('kv.put').map((c) => c.input.session);
    expect(new Set(sessions.map((s) => s.clientId)).size).toBe(1);
    expect(sessions.map((s) => s.seq)).toEqual([1, 2, 3]);
  });
});

describe('operations', () => {
  it('values come back as the kind they were written as', async () => {
    const { client, run } = setup();
    await run(client.put('s', 'text'));
    await run(client.put('j', { a: [1, 2, { b: null }] }));
    await run(client.put('b', new Uint8Array([0, 1, 254, 255])));
    await run(client.put('n', 42));
    expect((await run(client.get('s')))!.value).toBe('text');
    expect((await run(client.get('j')))!.value).toEqual({ a: [1, 2, { b: null }] });
    expect((await run(client.get('b')))!.value).toEqual(new Uint8Array([0, 1, 254, 255]));
    expect((await run(client.get('n')))!.value).toBe(42);
    expect(await run(client.get('missing'))).toBeNull();
  });

  it('entries carry version and revisions', async () => {
    const { client, run } = setup();
    const first = await run(client.put('k', 'a'));
    const second = await run(client.put('k', 'b', { ifVersion: 1 }));
    expect(second.version).toBe(2);
    expect(second.createRevision).toBe(first.createRevision);
    expect(second.modRevision).toBeGreaterThan(first.modRevision);
    const entry = await run(client.get('k'));
    expect(entry).toMatchObject({ key: 'k', value: 'b', version: 2, createRevision: first.createRevision, modRevision: second.modRevision });
  });

  it('getMany splits by partition and answers in the order asked', async () => {
    const { cluster, client, run } = setup();
    const keys = Array.from({ length: 12 }, (_, i) => `m${i}`);
    for (const [i, k] of keys.entries()) if (i % 3 !== 0) await run(client.put(k, i));
    const before = cluster.calls.length;
    const got = await run(client.getMany(keys));
    expect(got.map((e) => (e === null ? null : e.value))).toEqual(keys.map((_, i) => (i % 3 === 0 ? null : i)));
    const calls = cluster.calls.slice(before);
    expect(calls.length).toBe(new Set(keys.map((k) => cluster.partitionOfKey(k))).size);
  });

  it("getMany asks again in halves when a partition's answer is over the server's limit; a single key over it fails", async () => {
    const { cluster, client, run } = setup();
    const keys = Array.from({ length: 40 }, (_, i) => `h${i}`);
    for (const [i, k] of keys.entries()) await run(client.put(k, i));
    cluster.getManyKeysMax = 3;
    const before = cluster.calls.length;
    const got = await run(client.getMany(keys));
    expect(got.map((e) => e?.value)).toEqual(keys.map((_, i) => i));
    const calls = cluster.calls.slice(before).filter((c) => c.path === 'kv.getMany');
    // Every answered request held at most 3 keys; each key was answered once.
    const answered = calls.filter((c) => c.input.keys.length <= 3).flatMap((c) => c.input.keys);
    expect(answered.sort()).toEqual([...keys].sort());
    // One key alone over the limit is the caller's error, not split further.
    cluster.getManyKeysMax = 0;
    const error = await run(client.getMany(['h1'])).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TOO_LARGE' });
  });

  it('getMany parts asked again after a split share the rest of the deadline', async () => {
    const { cluster, client, clock, run } = setup({ deadlineMs: 1_000, attemptTimeoutMs: 200 });
    const keys = [keyIn(cluster, 0, 'x'), keyIn(cluster, 0, 'y')]; // both led by n1
    await run(client.getMany(keys));
    // n1 never answers (200 ms lost), n2 leads and refuses the pair as too large, then no node answers.
    cluster.deaf.add('n1');
    cluster.partitions[0]!.leader = 2;
    cluster.getManyKeysMax = 1;
    cluster.onGetManyTooLarge = () => ['n2', 'n3'].forEach((n) => cluster.deaf.add(n));
    const started = clock.nowMs();
    const error = (await run(client.getMany(keys)).catch((e: unknown) => e)) as RingKVError;
    expect(error.code).toBe('TIMEOUT');
    // The halves got what was left of the 1 s, not a fresh second each.
    expect(clock.nowMs() - started).toBeLessThanOrEqual(1_000);
    expect(clock.nowMs() - started).toBeGreaterThanOrEqual(900);
  });

  it('refuses requests over the server limits before sending anything: TOO_LARGE, nothing written', async () => {
    const { cluster, client, run } = setup();
    await run(client.put('warm', 1));
    const before = cluster.calls.length;
    const refusal = async (p: Promise<unknown>): Promise<RingKVError> => (await run(p).catch((e: unknown) => e)) as RingKVError;
    const twoMiB = new Uint8Array(2 * 1024 * 1024);
    expect(await refusal(client.put('k', twoMiB))).toMatchObject({ code: 'TOO_LARGE', message: `value is ${2 * 1024 * 1024} bytes, over the 1048576-byte limit` });
    // Strings count their UTF-8 bytes, JSON values their JSON text.
    expect((await refusal(client.put('k', 'é'.repeat(600 * 1024)))).code).toBe('TOO_LARGE');
    expect((await refusal(client.put('k', { list: Array.from({ length: 300_000 }, () => 'abc') }))).code).toBe('TOO_LARGE');
    expect((await refusal(client.put('k', { n: 1n } as never))).code).toBe('BAD_REQUEST');
    expect(await refusal(client.get('k'.repeat(1025)))).toMatchObject({ code: 'TOO_LARGE', message: 'key is 1025 bytes, over the 1024-byte limit' });
    expect((await refusal(client.delete(new Uint8Array(2000)))).code).toBe('TOO_LARGE');
    expect((await refusal(client.getMany(['a', 'k'.repeat(1025)]))).code).toBe('TOO_LARGE');
    expect((await refusal(client.scan({ prefix: 'p'.repeat(1025) }))).code).toBe('TOO_LARGE');
    // A batch: one bad part fails the whole call before any part is sent.
    const ok = keyIn(cluster, 0, 'ok');
    const big = keyIn(cluster, 1, 'big');
    expect((await refusal(client.writeBatch([{ op: 'put', key: ok, value: 'v' }, { op: 'put', key: big, value: twoMiB }]))).code).toBe('TOO_LARGE');
    const many = Array.from({ length: 1001 }, (_, i) => ({ op: 'put' as const, key: keyIn(cluster, 2, `m${i}-`), value: i }));
    expect(await refusal(client.writeBatch(many))).toMatchObject({ code: 'TOO_LARGE', message: "the batch's part for partition 2 has 1001 ops, over the 1000-op limit of one atomic batch" });
    const heavy = Array.from({ length: 9 }, (_, i) => ({ op: 'put' as const, key: keyIn(cluster, 3, `h${i}-`), value: new Uint8Array(1024 * 1024 - 100) }));
    expect((await refusal(client.writeBatch(heavy))).message).toContain('over the 8388608-byte limit of one atomic batch');
    // Under 8 MiB of characters, but JSON escapes each control character in 6 bytes: 15 MiB as sent.
    const escaped = Array.from({ length: 3 }, (_, i) => ({ op: 'put' as const, key: keyIn(cluster, 3, `e${i}-`), value: '\u0001'.repeat(900 * 1024) }));
    expect((await refusal(client.writeBatch(escaped))).message).toMatch(/bytes as JSON .* over the \d+ bytes one request may carry; split it$/);
    expect(cluster.calls.slice(before).filter((c) => c.path !== 'cluster.placement')).toEqual([]);
  });

  it('getMany of more keys than one request carries is sent in parts of at most 1000', async () => {
    const { cluster, client, run } = setup();
    const keys = Array.from({ length: 2500 }, (_, i) => keyIn(cluster, 1, `g${i}-`));
    await run(client.put(keys[1234]!, 'found'));
    const before = cluster.calls.length;
    const got = await run(client.getMany(keys));
    expect(got.filter((e) => e !== null).map((e) => e!.value)).toEqual(['found']);
    expect(got[1234]?.value).toBe('found');
    const sizes = cluster.calls.slice(before).filter((c) => c.path === 'kv.getMany').map((c) => c.input.keys.length);
    expect(sizes).toEqual([1000, 1000, 500]);
  });

  it('a get left out of a pipeline answer for its size goes again at once, alone, to the same leader', async () => {
    const { cluster, client, clock, run } = setup();
    const key = keyIn(cluster, 2);
    await run(client.put(key, 'v'));
    cluster.cutFromPipelines = 1;
    const before = cluster.calls.length;
    const started = clock.nowMs();
    expect((await run(client.get(key)))?.value).toBe('v');
    const calls = cluster.calls.slice(before);
    expect(calls.map((c) => [c.endpoint, c.alone])).toEqual([
      ['n3', false],
      ['n3', true],
    ]);
    expect(clock.nowMs() - started).toBe(0); // no backoff, no placement reload
  });

  it('writeBatch applies per partition and reports every partition', async () => {
    const { cluster, client, run } = setup();
    const keys = Array.from({ length: 8 }, (_, i) => `b${i}`);
    const result = await run(client.writeBatch(keys.map((key, i) => ({ op: 'put' as const, key, value: i }))));
    expect(result.ok).toBe(true);
    const partitions = new Set(keys.map((k) => cluster.partitionOfKey(k)));
    expect(result.partitions).toHaveLength(partitions.size);
    expect(result.partitions.flatMap((p) => p.ops).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const p of result.partitions) for (const i of p.ops) expect(cluster.partitionOfKey(keys[i]!)).toBe(p.partition);
    const batches = cluster.callsTo('kv.writeBatch');
    expect(batches).toHaveLength(partitions.size);
    // the parts run concurrently, so each holds its own session
    expect(new Set(batches.map((b) => b.input.session.clientId)).size).toBe(batches.length);
    for (const b of batches) expect(b.endpoint).toBe(addressOf(cluster.partitions[cluster.partitionOfKey(b.input.ops[0].key)]!.leader));
    expect((await run(client.get('b5')))!.value).toBe(5);
  });

  it('writeBatch retries a retryable per-partition failure with the same session, applying once', async () => {
    const { cluster, client, run } = setup();
    cluster.batchOutcomeFailures = 2;
    const result = await run(client.writeBatch([{ op: 'put', key: 'rb', value: 1 }]));
    expect(result.ok).toBe(true);
    const calls = cluster.callsTo('kv.writeBatch');
    expect(cluster.batchOutcomeFailures).toBe(0);
    expect(calls.length).toBeGreaterThanOrEqual(3); // (and NOT_LEADER hops, after UNAVAILABLE forgot the leader)
    expect(new Set(calls.map((c) => `${c.input.session.clientId}/${c.input.session.seq}`)).size).toBe(1);
    expect((await run(client.get('rb')))!.version).toBe(1);
  });

  it('scan pages through keys in order and scanAll iterates them all', async () => {
    const { client, run } = setup();
    for (let i = 0; i < 25; i++) await run(client.put(`p/${String(i).padStart(2, '0')}`, i));
    await run(client.put('q/other', 0));
    const page = await run(client.scan({ prefix: 'p/', limit: 10 }));
    expect(page.entries.map((e) => e.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(page.cursor).not.toBeNull();
    const all: unknown[] = [];
    const iterate = async (): Promise<void> => {
      for await (const entry of client.scanAll({ prefix: 'p/', limit: 7 })) all.push(entry.value);
    };
    await run(iterate());
    expect(all).toEqual(Array.from({ length: 25 }, (_, i) => i));
    await expect(client.scan({ prefix: 'p/', limit: 0 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('close() rejects later calls with CLOSED and closes the transport', async () => {
    const { cluster, client } = setup();
    await client.close();
    expect(cluster.closed).toBe(true);
    await expect(client.get('k')).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(client.put('k', 'v')).rejects.toBeInstanceOf(RingKVError);
  });
});

describe('watch', () => {
  it('delivers changes to a key in order and resumes after a dropped socket without gaps or repeats', async () => {
    const { cluster, client, run } = setup();
    await run(client.put('w', 'v0'));
    const iterator = client.watch({ key: 'w' });
    const seen: unknown[] = [];
    const consume = (async () => {
      for await (const event of iterator) {
        seen.push(event.value);
        if (seen.length === 4) break;
      }
    })();
    await run(Promise.resolve());
    await run(client.put('w', 'v1'));
    await run(client.put('w', 'v2'));
    cluster.dropWatches();
    await run(client.put('w', 'v3')); // happens while the watch is down
    await run(client.put('w', 'v4'));
    await run(consume);
    expect(seen).toEqual(['v1', 'v2', 'v3', 'v4']);
    expect(cluster.subscriptions.length).toBeGreaterThanOrEqual(2);
    expect(cluster.subscriptions.at(-1)!.input.fromRevision).toBeGreaterThan(0);
    expect(cluster.openWatches).toBe(0);
  });

  it('a key watch started from now loses nothing that changed while its first socket was down', async () => {
    const { cluster, client, run } = setup();
    await run(client.put('w2', 'before'));
    const iterator = client.watch({ key: 'w2' });
    await run(Promise.resolve());
    expect(cluster.subscriptions.at(-1)!.input.fromRevision).toBeGreaterThan(0);
    cluster.dropWatches();
    await run(client.put('w2', 'during'));
    const first = await run(iterator.next());
    expect(first.value).toMatchObject({ type: 'put', key: 'w2', value: 'during', version: 2 });
    await iterator.return!();
    expect(cluster.openWatches).toBe(0);
  });

  it('a prefix watch from a revision resumes across partitions without repeats', async () => {
    const { cluster, client, run } = setup();
    const keys = ['pa', 'pb', 'pc', 'pd', 'pe', 'pf'];
    const iterator = client.watch({ prefix: 'p', fromRevision: 1 });
    await run(Promise.resolve());
    for (const k of keys.slice(0, 3)) await run(client.put(k, 1));
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) seen.push(String((await run(iterator.next())).value!.key));
    cluster.dropWatches();
    for (const k of keys.slice(3)) await run(client.put(k, 2));
    for (let i = 0; i < 3; i++) seen.push(String((await run(iterator.next())).value!.key));
    expect(seen.sort()).toEqual(keys);
    expect(cluster.subscriptions.length).toBeGreaterThanOrEqual(2);
    await iterator.return!();
  });

  it('a prefix watch started from now reads each partition\'s revision first, so it resumes after its socket drops', async () => {
    const { cluster, client, run } = setup();
    for (let p = 0; p < 4; p++) await run(client.put(keyIn(cluster, p, 'x'), 'before'));
    const iterator = client.watch({ prefix: 'x' });
    await run(Promise.resolve());
    // One subscription per partition, each from just after the revision read at the start.
    expect(cluster.subscriptions.map((s) => s.input.partition).sort()).toEqual([0, 1, 2, 3]);
    for (const sub of cluster.subscriptions) expect(sub.input.fromRevision).toBe(cluster.partitions[sub.input.partition]!.revision + 1);
    cluster.dropWatches();
    const during = [0, 1, 2, 3].map((p) => keyIn(cluster, p, 'xd'));
    for (const key of during) await run(client.put(key, 'during'));
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) seen.push(String((await run(iterator.next())).value!.key));
    expect(seen.sort()).toEqual([...during].sort());
    await iterator.return!();
    expect(cluster.openWatches).toBe(0);
  });

  it('a prefix watch reaches partitions no node hosts all of, and follows a replica that moved', async () => {
    const { cluster, client, run } = setup();
    // Each partition on two of the three nodes (its leader and the next): no node hosts all four.
    let hosts = (p: number) => [cluster.partitions[p]!.leader, (cluster.partitions[p]!.leader % 3) + 1];
    cluster.hostsOf = (p) => hosts(p);
    const iterator = client.watch({ prefix: 'm', fromRevision: 1 });
    await run(Promise.resolve());
    expect(cluster.openWatches).toBe(4);
    const first = [0, 1, 2, 3].map((p) => keyIn(cluster, p, 'm1-'));
    for (const key of first) await run(client.put(key, 1));
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) seen.push(String((await run(iterator.next())).value!.key));
    // Partition 0's replica on its leader's node moves away (to the third node); its socket drops.
    const leader0 = cluster.partitions[0]!.leader;
    const third = [1, 2, 3].find((n) => !hosts(0).includes(n))!;
    const before = hosts;
    hosts = (p) => (p === 0 ? before(0).map((n) => (n === leader0 ? third : n)) : before(p));
    cluster.dropWatches();
    const second = [0, 1, 2, 3].map((p) => keyIn(cluster, p, 'm2-'));
    for (const key of second) await run(client.put(key, 2));
    for (let i = 0; i < 4; i++) seen.push(String((await run(iterator.next())).value!.key));
    expect(seen.slice(0, 4).sort()).toEqual([...first].sort());
    expect(seen.slice(4).sort()).toEqual([...second].sort());
    // Every subscription named its partition, and partition 0 ended up on a node that hosts it.
    expect(cluster.subscriptions.every((s) => s.input.partition !== undefined)).toBe(true);
    expect(cluster.openWatches).toBe(4);
    const lastFor0 = cluster.subscriptions.filter((s) => s.input.partition === 0).at(-1)!;
    expect(hosts(0)).toContain(Number(lastFor0.endpoint.slice(1)));
    await iterator.return!();
  });

  it('cursor() resumes a later watch exactly where the consumer stopped, even inside a batch', async () => {
    const { cluster, client, run } = setup();
    const [a, b, c] = ['c', 'ca', 'cb'].map((tag) => keyIn(cluster, 1, tag));
    const iterator = client.watch({ prefix: 'c', fromRevision: 1 });
    await run(Promise.resolve());
    await run(client.writeBatch([{ op: 'put', key: a!, value: 1 }, { op: 'put', key: b!, value: 1 }]));
    await run(client.put(c!, 2));
    const firstEvent = (await run(iterator.next())).value!;
    expect(firstEvent.key).toBe(a);
    // Stop after the first of the batch's two events: the cursor says so, per partition.
    const cursor = iterator.cursor()!;
    expect(cursor[1]).toEqual({ fromRevision: firstEvent.modRevision, skip: 1 });
    expect(cursor[0]).toEqual({ fromRevision: 1, skip: 0 });
    await iterator.return!();
    const resumed = client.watch({ prefix: 'c', cursor });
    await run(Promise.resolve());
    const rest = [(await run(resumed.next())).value!, (await run(resumed.next())).value!];
    expect(rest.map((e) => e.key)).toEqual([b, c]);
    expect(rest[0]!.modRevision).toBe(firstEvent.modRevision);
    expect(resumed.cursor()![1]).toEqual({ fromRevision: rest[1]!.modRevision, skip: 1 });
    await resumed.return!();
    await expect(run((async () => client.watch({ key: 'k', cursor }))())).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('a prefix watch asks another replica when one answers COMPACTED (a restarted node keeps a shorter history)', async () => {
    const { cluster, client, run } = setup();
    const keys = ['h0', 'h1', 'h2'].map((tag) => keyIn(cluster, 0, tag));
    for (const key of keys) await run(client.put(key, 1));
    // Partition 0's leader restarted: its history begins after these writes; the others' do not.
    const leader = addressOf(cluster.partitions[0]!.leader);
    cluster.historyFrom.set(leader, 100);
    const iterator = client.watch({ prefix: 'h', fromRevision: 1 });
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) seen.push(String((await run(iterator.next())).value!.key));
    expect(seen).toEqual(keys);
    const forPartition0 = cluster.subscriptions.filter((s) => s.input.partition === 0).map((s) => s.endpoint);
    expect(forPartition0[0]).toBe(leader);
    expect(forPartition0.at(-1)).not.toBe(leader);
    await iterator.return!();

    // When no replica reaches back that far, the watch ends with COMPACTED.
    for (const n of [1, 2, 3]) cluster.historyFrom.set(addressOf(n), 100);
    const tooOld = client.watch({ prefix: 'h', fromRevision: 1 });
    await expect(run(tooOld.next())).rejects.toMatchObject({ code: 'COMPACTED' });
  });

  it('the signal ends a watch', async () => {
    const { cluster, client, run } = setup();
    const controller = new AbortController();
    const iterator = client.watch({ prefix: 'y', signal: controller.signal });
    await run(Promise.resolve());
    const next = iterator.next();
    controller.abort();
    await expect(run(next)).rejects.toMatchObject({ code: 'ABORTED' });
    expect(cluster.openWatches).toBe(0);
  });
});
