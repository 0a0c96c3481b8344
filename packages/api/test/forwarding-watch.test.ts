/**
 * Forwarding (a follower passes the request to the leader it names) and watch subscriptions,
 * against in-memory KvServices.
 */
import { describe, expect, it } from 'vitest';
import { StoreError } from '@ringkv/multiraft';
import { utf8Encode } from '@ringkv/stdx';
import { createAppRouter, createCallerFactory } from '../src';
import type { AppContext, Forwarder } from '../src';
import { FakeKv } from './fake-kv';

function pair() {
  const follower = new FakeKv();
  const leader = new FakeKv();
  follower.notLeaderHint = 2;
  const calls: Array<{ path: string; input: unknown }> = [];
  const leaderRouter = createAppRouter({ kv: leader });
  const forwarder: Forwarder = {
    async forward(to, path, input) {
      calls.push({ path, input });
      expect(to).toBe(2);
      const caller = createCallerFactory(leaderRouter)({ forwarded: true }) as unknown as Record<string, Record<string, (i: unknown) => Promise<unknown>>>;
      const [ns, proc] = path.split('.') as [string, string];
      return caller[ns]![proc]!(input);
    },
  };
  const followerRouter = createAppRouter({ kv: follower, forwarder });
  return { follower, leader, calls, caller: (ctx: AppContext = {}) => createCallerFactory(followerRouter)(ctx) };
}

describe('forwarding', () => {
  it('passes a request the follower cannot serve to the leader it names', async () => {
    const { leader, calls, caller } = pair();
    const put = await caller().kv.put({ key: 'a', value: { type: 'string', data: 'x' }, session: { clientId: 'c', seq: 1 } });
    expect(put.version).toBe(1);
    expect(leader.writes).toBe(1);
    expect(calls.map((c) => c.path)).toEqual(['kv.put']);
    const got = await caller().kv.get({ key: 'a' });
    expect(got.entry?.value).toEqual({ type: 'string', data: 'x' });
    const batch = await caller().kv.writeBatch({ ops: [{ op: 'put', key: 'b', value: { type: 'string', data: 'y' } }, { op: 'put', key: 'c', value: { type: 'string', data: 'z' } }], session: { clientId: 'c', seq: 2 } });
    expect(batch.partitions.every((p) => p.ok)).toBe(true);
    expect(batch.partitions.flatMap((p) => p.ops).sort()).toEqual([0, 1]);
    const scan = await caller().kv.scan({ prefix: '' });
    expect(scan.entries.map((e) => e.key)).toEqual(['a', 'b', 'c']);
    expect(calls.some((c) => c.path === 'kv.scanPartition')).toBe(true);
  });

  it('never forwards a forwarded request again: it answers NOT_LEADER with the leader address', async () => {
    const { calls, caller } = pair();
    try {
      await caller({ forwarded: true }).kv.get({ key: 'a' });
      expect.unreachable();
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause;
      expect(cause).toBeInstanceOf(StoreError);
      expect((cause as StoreError).code).toBe('NOT_LEADER');
      expect((cause as StoreError).data.leaderHint).toBe(2);
    }
    expect(calls).toEqual([]);
  });
});

describe('watch subscription', () => {
  it('streams events in order and ends with the Store error', async () => {
    const kv = new FakeKv();
    const caller = createCallerFactory(createAppRouter({ kv }))({});
    const stream = await caller.kv.watch({ prefix: 'a' });
    const iterator = stream[Symbol.asyncIterator]();
    const first = iterator.next();
    const sink = [...kv.sinks][0]!;
    sink.onEvent({ type: 'put', partition: 1, key: utf8Encode('ab'), value: new Uint8Array([1]), version: 1, modRevision: 5 });
    sink.onEvent({ type: 'delete', partition: 1, key: utf8Encode('ab'), version: 0, modRevision: 6 });
    expect((await first).value).toEqual({ type: 'put', partition: 1, key: 'ab', value: { type: 'bytes', data: 'AQ==' }, version: 1, modRevision: 5 });
    expect((await iterator.next()).value).toEqual({ type: 'delete', partition: 1, key: 'ab', version: 0, modRevision: 6 });
    const ended = iterator.next();
    sink.onError(new StoreError('COMPACTED', 'gone', { partition: 1, compactedRevision: 9 }));
    await expect(ended).rejects.toMatchObject({ code: 'NOT_FOUND', cause: { code: 'COMPACTED' } });
    expect(kv.sinks.size).toBe(0);
  });

  it('cancels the Store watch when the client goes away', async () => {
    const kv = new FakeKv();
    const abort = new AbortController();
    const caller = createCallerFactory(createAppRouter({ kv }))({}, { signal: abort.signal });
    const stream = await caller.kv.watch({ key: 'k', fromRevision: 3 });
    const iterator = stream[Symbol.asyncIterator]();
    const pending = iterator.next();
    expect(kv.sinks.size).toBe(1);
    abort.abort();
    expect((await pending).done).toBe(true);
    expect(kv.sinks.size).toBe(0);
  });

  it('refuses a watch with both or neither of key and prefix', async () => {
    const kv = new FakeKv();
    const caller = createCallerFactory(createAppRouter({ kv }))({});
    await expect(caller.kv.watch({ key: 'a', prefix: 'b' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(caller.kv.watch({})).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    // partition narrows a prefix watch only
    await expect(caller.kv.watch({ key: 'a', partition: 1 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(caller.kv.watch({ prefix: 'a', partition: -1 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
