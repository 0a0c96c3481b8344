/**
 * The SDK against three real node processes: every operation, errors as typed codes, smart
 * routing (Node entry) and routing through any node (the browser entry's way), and writes that
 * keep succeeding after the node leading some partitions is killed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RingKVClient } from '../src/client';
import { createClientWith } from '../src/create';
import { RingKVError } from '../src/errors';
import { createClient } from '../src/index';
import type { WebSocketClass } from '../src/trpc-transport';
import type { LocalCluster } from './local-cluster';
import { startLocalCluster } from './local-cluster';

let cluster: LocalCluster;
let kv: RingKVClient;

beforeAll(async () => {
  cluster = await startLocalCluster(8);
  kv = createClient({ endpoints: [cluster.endpoints[0]!], deadlineMs: 15_000 });
}, 90_000);

afterAll(async () => {
  await kv?.close();
  await cluster?.stop();
}, 30_000);

describe('SDK against a 3-node cluster', () => {
  it('puts and gets strings, JSON and bytes with versions and revisions', async () => {
    const first = await kv.put('it/s', 'hello');
    expect(first.version).toBe(1);
    await kv.put('it/j', { a: [1, 'two', null] });
    await kv.put('it/b', new Uint8Array([0, 255, 7]));
    const second = await kv.put('it/s', 'again');
    expect(second).toMatchObject({ version: 2, createRevision: first.createRevision });
    expect(second.modRevision).toBeGreaterThan(first.modRevision);
    expect(await kv.get('it/s')).toMatchObject({ key: 'it/s', value: 'again', version: 2 });
    expect((await kv.get('it/j', { consistency: 'lease' }))!.value).toEqual({ a: [1, 'two', null] });
    expect((await kv.get('it/b'))!.value).toEqual(new Uint8Array([0, 255, 7]));
    // A stale read may be served by a replica that has not applied the write yet: null or the value.
    const stale = await kv.get('it/b', { consistency: 'stale' });
    if (stale !== null) expect(stale.value).toEqual(new Uint8Array([0, 255, 7]));
    // Bounded: acknowledged 0.8 s ago, so a replica that can prove 0.5 s of staleness has it
    // (one that cannot hands the read to the leader).
    await new Promise((r) => setTimeout(r, 800));
    for (let i = 0; i < 5; i++) expect((await kv.get('it/b', { consistency: 'stale', maxStalenessMs: 500 }))!.value).toEqual(new Uint8Array([0, 255, 7]));
    await expect(kv.get('it/b', { maxStalenessMs: 500 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await kv.get('it/missing')).toBeNull();
  }, 60_000);

  it('conditional writes fail with CONDITION_FAILED and the current version; deletes report', async () => {
    await kv.put('it/c', 1);
    const error = (await kv.put('it/c', 2, { ifVersion: 5 }).catch((e: unknown) => e)) as RingKVError;
    expect(error).toBeInstanceOf(RingKVError);
    expect(error.code).toBe('CONDITION_FAILED');
    expect(error.data.currentVersion).toBe(1);
    await kv.put('it/c', 3, { ifVersion: 1 });
    expect(await kv.delete('it/c')).toMatchObject({ deleted: true });
    expect(await kv.delete('it/c')).toMatchObject({ deleted: false });
    await expect(kv.put('it/new', 'x', { ifVersion: 0 })).resolves.toMatchObject({ version: 1 });
  }, 60_000);

  it('getMany, writeBatch and scan span partitions', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `it/many/${String(i).padStart(2, '0')}`);
    const batch = await kv.writeBatch(keys.map((key, i) => ({ op: 'put' as const, key, value: i })));
    const failed = batch.partitions.filter((p) => !p.ok).map((p) => (p.ok ? '' : `${p.partition}: ${p.error.code} ${p.error.message}`));
    expect(failed, 'partitions whose batch failed').toEqual([]);
    expect(batch.ok).toBe(true);
    expect(new Set(batch.partitions.map((p) => p.partition)).size).toBeGreaterThan(1);
    expect((await kv.getMany(keys)).map((e) => e?.value)).toEqual(keys.map((_, i) => i));
    const seen: unknown[] = [];
    for await (const entry of kv.scanAll({ prefix: 'it/many/', limit: 7 })) seen.push(entry.key);
    expect(seen).toEqual(keys);
    // A bounded stale scan written 0.8 s ago: every replica that answers holds it all.
    await new Promise((r) => setTimeout(r, 800));
    const stale: unknown[] = [];
    for await (const entry of kv.scanAll({ prefix: 'it/many/', limit: 7, consistency: 'stale', maxStalenessMs: 500 })) stale.push(entry.key);
    expect(stale).toEqual(keys);
  }, 60_000);

  it('watches a key from now and sees the next changes in order', async () => {
    const events: unknown[] = [];
    const watching = (async () => {
      for await (const event of kv.watch({ key: 'it/w' })) {
        events.push([event.type, event.value ?? null]);
        if (events.length === 3) break;
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    await kv.put('it/w', 'a');
    await kv.put('it/w', 'b');
    await kv.delete('it/w');
    await watching;
    expect(events).toEqual([['put', 'a'], ['put', 'b'], ['delete', null]]);
  }, 60_000);

  it('status and health describe the cluster', async () => {
    const status = await kv.status();
    expect(status.partitions.length).toBeGreaterThan(0);
    expect((await kv.health()).ok).toBe(true);
  }, 30_000);

  it('concurrent gets, sent to each leader as one pipeline, each get their own answer or error', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `it/pipe/${i}`);
    await Promise.all(keys.map((k, i) => kv.put(k, `v${i}`)));
    const answers = await Promise.all([
      ...keys.map((k) => kv.get(k)),
      kv.get('it/pipe/missing'),
      kv.get('it/pipe/0', { maxStalenessMs: 500 }).catch((e: unknown) => e),
      kv.get('it/pipe/1', { consistency: 'lease' }),
    ]);
    expect(answers.slice(0, 30).map((e) => (e as { value: unknown }).value)).toEqual(keys.map((_, i) => `v${i}`));
    expect(answers[30]).toBeNull();
    expect(answers[31]).toBeInstanceOf(RingKVError);
    expect(answers[31]).toMatchObject({ code: 'BAD_REQUEST' });
    expect(answers[32]).toMatchObject({ key: 'it/pipe/1', value: 'v1' });
  }, 60_000);

  it('concurrent puts and deletes, sent to each leader as one pipeline, each get their own answer or error', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `it/wpipe/${i}`);
    await Promise.all([...keys, 'it/wpipe/cond'].map((k) => kv.put(k, 'first')));
    const answers = await Promise.all([
      ...keys.slice(0, 20).map((k) => kv.put(k, 'second')),
      ...keys.slice(20).map((k) => kv.delete(k)),
      kv.put('it/wpipe/cond', 'never', { ifVersion: 7 }).catch((e: unknown) => e),
      kv.put('it/wpipe/new', 'created', { ifVersion: 0 }),
      kv.delete('it/wpipe/missing'),
    ]);
    for (const a of answers.slice(0, 20)) expect(a).toMatchObject({ version: 2 });
    for (const a of answers.slice(20, 30)) expect(a).toMatchObject({ deleted: true });
    expect(answers[30]).toBeInstanceOf(RingKVError);
    expect(answers[30]).toMatchObject({ code: 'CONDITION_FAILED', data: { currentVersion: 1 } });
    expect(answers[31]).toMatchObject({ version: 1 });
    expect(answers[32]).toMatchObject({ deleted: false });
    const after = await kv.getMany([...keys, 'it/wpipe/cond', 'it/wpipe/new']);
    expect(after.map((e) => e?.value ?? null)).toEqual([...keys.map((_, i) => (i < 20 ? 'second' : null)), 'first', 'created']);
  }, 60_000);

  it('too large and malformed requests come back as typed errors', async () => {
    await expect(kv.put('x'.repeat(2000), 'v')).rejects.toMatchObject({ code: 'TOO_LARGE' });
    await expect(kv.put('', 'v')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  }, 30_000);

  it('a client without partition routing (the browser way) works through any node', async () => {
    const anyNode = createClientWith({ endpoints: [cluster.endpoints[2]!] }, { WebSocket: WebSocket as unknown as WebSocketClass, partitioner: undefined });
    try {
      await anyNode.put('it/browser', 'via-forwarding');
      expect((await kv.get('it/browser'))!.value).toBe('via-forwarding');
      expect((await anyNode.getMany(['it/browser', 'it/s'])).map((e) => e?.value)).toEqual(['via-forwarding', 'again']);
    } finally {
      await anyNode.close();
    }
  }, 60_000);

  it('keeps writing after a node is killed', async () => {
    const keys = Array.from({ length: 24 }, (_, i) => `it/kill/${i}`);
    await Promise.all(keys.map((k) => kv.put(k, 'before')));
    cluster.kill(0);
    const started = performance.now();
    await Promise.all(keys.map((k) => kv.put(k, 'after')));
    expect(performance.now() - started).toBeLessThan(15_000);
    expect((await kv.getMany(keys)).every((e) => e?.value === 'after')).toBe(true);
  }, 60_000);
});
