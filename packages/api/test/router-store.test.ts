/**
 * The router over real Stores (three, in-memory network, manual clock): requests landing on any
 * node succeed through forwarding, errors keep the one shape, and bad input changes nothing.
 */
import { TRPCError } from '@trpc/server';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreError } from '@ringkv/multiraft';
import type { NodeId } from '@ringkv/stdx';
import { createAppRouter, createCallerFactory } from '../src';
import type { Forwarder } from '../src';
import { TestCluster } from '../../multiraft/test/cluster';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

function callers(c: TestCluster) {
  const routers = new Map<number, ReturnType<typeof createAppRouter>>();
  // The in-process Forwarder: calls the leader's router as a forwarded request, and turns its
  // TRPCError back into the StoreError it carried (what the server's Forwarder does over HTTP).
  const forwarder: Forwarder = {
    async forward(leader: NodeId, path, input) {
      const router = routers.get(leader);
      if (router === undefined) throw new StoreError('UNAVAILABLE', `node ${leader} is not reachable`);
      const caller = createCallerFactory(router)({ forwarded: true }) as unknown as Record<string, Record<string, (i: unknown) => Promise<unknown>>>;
      const [ns, proc] = path.split('.') as [string, string];
      try {
        return await caller[ns]![proc]!(input);
      } catch (error) {
        if (error instanceof TRPCError && error.cause instanceof StoreError) throw error.cause;
        throw error;
      }
    },
  };
  for (const s of c.running()) routers.set(s.nodeId, createAppRouter({ kv: s, forwarder }));
  return (id: number) => createCallerFactory(routers.get(id)!)({});
}

describe('router over real Stores', () => {
  it('serves every procedure from any node, forwarding to partition leaders', async () => {
    cluster = await TestCluster.create();
    const c = cluster;
    await c.waitForPreferredLeaders();
    const at = callers(c);
    let seq = 0;
    const session = () => ({ clientId: 'api-test', seq: ++seq });
    const keys = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
    // every write lands on node 1 and is forwarded when node 1 does not lead the key's partition
    for (const key of keys) await c.drive(at(1).kv.put({ key, value: { type: 'json', data: { key } }, session: session() }));
    for (const id of c.ids) {
      for (const key of keys) {
        const got = await c.drive(at(id).kv.get({ key }));
        expect(got.entry?.value).toEqual({ type: 'json', data: { key } });
      }
    }
    const many = await c.drive(at(2).kv.getMany({ keys: ['alpha', 'missing', 'theta'] }));
    expect(many.entries.map((e) => e?.key ?? null)).toEqual(['alpha', null, 'theta']);

    const batch = await c.drive(
      at(3).kv.writeBatch({
        ops: [
          { op: 'put', key: 'alpha', value: { type: 'string', data: 'A' } },
          { op: 'delete', key: 'beta' },
          { op: 'put', key: 'gamma', value: { type: 'bytes', data: 'AAEC' }, ifVersion: 99 },
        ],
        session: session(),
      }),
    );
    const outcomeOf = (op: number) => batch.partitions.find((p) => p.ops.includes(op))!;
    expect(outcomeOf(2).ok).toBe(false);
    if (!outcomeOf(2).ok) expect((outcomeOf(2) as { error: { code: string } }).error.code).toBe('CONDITION_FAILED');

    // scan across partitions, merged in key order, paged
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 20; i++) {
      const page = await c.drive(at(2).kv.scan({ prefix: '', limit: 3, cursor }));
      seen.push(...page.entries.map((e) => e.key as string));
      if (page.cursor === null) break;
      cursor = page.cursor;
    }
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(seen.length);
    const left = keys.filter((k) => !(k === 'beta' && outcomeOf(1).ok)).sort();
    expect(seen).toEqual(left);

    const placement = await c.drive(at(1).cluster.placement());
    expect(placement.groups).toHaveLength(c.cluster.partitions);
    expect(placement.nodes.map((n) => n.address)).toEqual(['api-1', 'api-2', 'api-3']);
    for (const g of placement.groups) expect(g.leader).toBe(c.leaderIdOf(g.partition));
    const status = await c.drive(at(2).cluster.status());
    expect(status.partitions.every((p) => p.commit >= p.applied && p.applied > 0)).toBe(true);
    expect((await c.drive(at(3).cluster.health())).ok).toBe(true);
  });

  it('names the leader on a forwarded get, put, delete, and one partition\'s getMany or writeBatch; nothing on an answer served locally', async () => {
    cluster = await TestCluster.create();
    const c = cluster;
    await c.waitForPreferredLeaders();
    const at = callers(c);
    let seq = 0;
    const session = () => ({ clientId: 'served-by', seq: ++seq });
    const key = 'alpha';
    const partition = c.store(1).partitionOf(new TextEncoder().encode(key));
    const leader = c.leaderIdOf(partition)!;
    const follower = c.ids.find((id) => id !== leader)!;
    const value = { type: 'string' as const, data: 'v' };
    const named = { leaderHint: leader, leaderAddress: `api-${leader}` };

    expect(await c.drive(at(follower).kv.put({ key, value, session: session() }))).toMatchObject(named);
    expect(await c.drive(at(follower).kv.get({ key }))).toMatchObject(named);
    // In a pipeline each forwarded call's slot carries it too.
    const piped = await c.drive(at(follower).kv.pipeline({ calls: [{ path: 'kv.get', input: { key } }] }));
    expect(piped.results[0]).toMatchObject({ ok: true, data: named });
    expect(await c.drive(at(follower).kv.delete({ key, session: session() }))).toMatchObject({ deleted: true, ...named });

    // A getMany or writeBatch of this one partition's keys (what the SDK sends a leader) too...
    const other = ['beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'].find((k) => c.store(1).partitionOf(new TextEncoder().encode(k)) === partition);
    const apart = ['beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'].find((k) => c.store(1).partitionOf(new TextEncoder().encode(k)) !== partition)!;
    const samePartition = other === undefined ? [key] : [key, other];
    expect(await c.drive(at(follower).kv.getMany({ keys: samePartition }))).toMatchObject(named);
    const oneBatch = await c.drive(at(follower).kv.writeBatch({ ops: samePartition.map((k) => ({ op: 'put' as const, key: k, value })), session: session() }));
    expect(oneBatch).toMatchObject({ partitions: [{ ok: true }], ...named });
    // ...but not one spanning partitions (no single leader served it).
    expect(await c.drive(at(follower).kv.getMany({ keys: [key, apart] }))).not.toHaveProperty('leaderHint');
    const spanning = await c.drive(at(follower).kv.writeBatch({ ops: [key, apart].map((k) => ({ op: 'put' as const, key: k, value })), session: session() }));
    expect(spanning.partitions).toHaveLength(2);
    expect(spanning).not.toHaveProperty('leaderHint');

    for (const answer of [
      await c.drive(at(leader).kv.getMany({ keys: samePartition })),
      await c.drive(at(leader).kv.writeBatch({ ops: [{ op: 'delete' as const, key }], session: session() })),
      await c.drive(at(leader).kv.put({ key, value, session: session() })),
      await c.drive(at(leader).kv.get({ key })),
      await c.drive(at(leader).kv.delete({ key, session: session() })),
    ]) {
      expect(answer).not.toHaveProperty('leaderHint');
      expect(answer).not.toHaveProperty('leaderAddress');
    }
  });

  it('refuses bad input before it reaches Raft', async () => {
    cluster = await TestCluster.create();
    const c = cluster;
    await c.waitForPreferredLeaders();
    const at = callers(c);
    const before = c.running().map((s) => s.status().partitions.map((p) => p.lastIndex));
    const calls: Array<[() => Promise<unknown>, string]> = [
      [() => at(1).kv.put({ key: 'x'.repeat(1025), value: { type: 'string', data: 'v' }, session: { clientId: 'c', seq: 1 } }), 'TOO_LARGE'],
      [() => at(1).kv.put({ key: 'x', value: { type: 'string', data: 'v'.repeat(1024 * 1024 + 1) }, session: { clientId: 'c', seq: 1 } }), 'TOO_LARGE'],
      [() => at(1).kv.put({ key: 'x', value: 7 as never, session: { clientId: 'c', seq: 1 } }), 'BAD_REQUEST'],
      [() => at(1).kv.writeBatch({ ops: [], session: { clientId: 'c', seq: 1 } }), 'BAD_REQUEST'],
    ];
    for (const [call, code] of calls) {
      try {
        await c.drive(call());
        expect.unreachable();
      } catch (error) {
        const e = error as TRPCError;
        expect(e).toBeInstanceOf(TRPCError);
        const data = createAppRouter({ kv: c.store(1) })._def._config.errorFormatter({
          error: e,
          type: 'mutation',
          path: 'kv.put',
          input: undefined,
          ctx: {},
          shape: { message: e.message, code: -32600, data: { code: e.code, httpStatus: 400, path: 'kv.put' } },
        }) as { data: { ringkv?: { code: string } } };
        expect(data.data.ringkv?.code).toBe(code);
      }
    }
    await c.runFor(50);
    const after = c.running().map((s) => s.status().partitions.map((p) => p.lastIndex));
    expect(after).toEqual(before);
  });

  it('serves a bounded stale read where it is fresh enough, else forwards it to the leader', async () => {
    cluster = await TestCluster.create();
    const c = cluster;
    await c.waitForPreferredLeaders();
    const at = callers(c);
    const key = 'stale-key';
    const partition = c.store(1).partitionOf(new TextEncoder().encode(key));
    const leaderId = c.leaderIdOf(partition)!;
    const followerId = c.ids.find((id) => id !== leaderId)!;
    await c.drive(at(leaderId).kv.put({ key, value: { type: 'string', data: 'v1' }, session: { clientId: 'stale', seq: 1 } }));
    await c.runFor(30);
    expect((await c.drive(at(followerId).kv.get({ key, consistency: 'stale', maxStalenessMs: 50 }))).entry?.value).toEqual({ type: 'string', data: 'v1' });

    // Cut off from its peers (not from the in-process forwarder), the follower falls behind.
    c.net.isolate(followerId, true, c.ids);
    await c.drive(at(leaderId).kv.put({ key, value: { type: 'string', data: 'v2' }, session: { clientId: 'stale', seq: 2 } }));
    await c.runFor(60);
    expect((await c.drive(at(followerId).kv.get({ key, consistency: 'stale' }))).entry?.value).toEqual({ type: 'string', data: 'v1' });
    expect((await c.drive(at(followerId).kv.get({ key, consistency: 'stale', maxStalenessMs: 50 }))).entry?.value).toEqual({ type: 'string', data: 'v2' });
    const many = await c.drive(at(followerId).kv.getMany({ keys: [key], consistency: 'stale', maxStalenessMs: 50 }));
    expect(many.entries[0]?.value).toEqual({ type: 'string', data: 'v2' });

    // The bound is checked: only with 'stale', a positive integer, at most a day.
    for (const input of [{ key, maxStalenessMs: 50 }, { key, consistency: 'stale' as const, maxStalenessMs: 0 }, { key, consistency: 'stale' as const, maxStalenessMs: 24 * 3600 * 1000 + 1 }]) {
      await expect(c.drive(at(followerId).kv.get(input))).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    }
  });
});
