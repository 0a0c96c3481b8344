/**
 * kv.pipeline: independent gets, puts and deletes in one call, each validated and run as its own
 * procedure would (forwarding included) and answered in its slot, so one failing call never
 * fails the others; the pipeline's own shape and size are limited.
 */
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { createAppRouter, createCallerFactory, KEY_SIZE_BYTES_MAX, PIPELINE_CALLS_MAX } from '../src';
import type { Forwarder, PipelinedResult } from '../src';
import { ringkvDataOf } from '../src/errors';
import { FakeKv } from './fake-kv';

const session = (seq: number) => ({ clientId: 'c', seq });
const value = (data: string) => ({ type: 'string' as const, data });

describe('kv.pipeline', () => {
  it('answers every call in its slot, in order, as the call on its own would', async () => {
    const kv = new FakeKv();
    const caller = createCallerFactory(createAppRouter({ kv }))({});
    await caller.kv.put({ key: 'a', value: value('1'), session: session(1) });
    const { results } = await caller.kv.pipeline({
      calls: [
        { path: 'kv.put', input: { key: 'b', value: value('2'), session: session(2) } },
        { path: 'kv.get', input: { key: 'a' } },
        { path: 'kv.put', input: { key: 'a', value: value('3'), ifVersion: 7, session: session(3) } },
        { path: 'kv.get', input: { key: 'k'.repeat(KEY_SIZE_BYTES_MAX + 1) } },
        { path: 'kv.delete', input: { key: 'a', session: { clientId: '', seq: 4 } } },
        { path: 'kv.delete', input: { key: 'b', session: session(5) } },
      ],
    });
    expect(results).toHaveLength(6);
    const [put, get, conditional, tooLarge, malformed, del] = results as PipelinedResult[];
    expect(put).toEqual({ ok: true, data: { version: 1, createRevision: 2, modRevision: 2 } });
    expect(get).toMatchObject({ ok: true, data: { entry: { key: 'a', value: value('1'), version: 1 } } });
    // The error each would have had on its own: tRPC's code, the message and the RingKV data.
    expect(conditional).toEqual({ ok: false, error: { code: 'CONFLICT', message: 'version mismatch', ringkv: { code: 'CONDITION_FAILED', currentVersion: 1 } } });
    expect(tooLarge).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', ringkv: { code: 'TOO_LARGE' } } });
    expect(malformed).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', ringkv: { code: 'BAD_REQUEST' } } });
    expect(del).toMatchObject({ ok: true, data: { deleted: true } });
    // The failed calls changed nothing: one put before, the pipeline's put and delete.
    expect(kv.writes).toBe(3);
    expect(kv.data.get('61')?.record.value).toBe('1');
  });

  it('forwards each call the node cannot serve to the leader, as the call on its own', async () => {
    const leader = new FakeKv();
    const follower = new FakeKv();
    follower.notLeaderHint = 1;
    const leaderCaller = createCallerFactory(createAppRouter({ kv: leader }))({ forwarded: true }) as unknown as Record<string, Record<string, (i: unknown) => Promise<unknown>>>;
    const forwarded: string[] = [];
    const forwarder: Forwarder = {
      async forward(_to, path, input) {
        forwarded.push(path);
        const [router, proc] = path.split('.') as [string, string];
        return leaderCaller[router]![proc]!(input);
      },
    };
    // The follower's own node id is 1 in FakeKv: name another leader so it forwards.
    follower.notLeaderHint = 2;
    const caller = createCallerFactory(createAppRouter({ kv: follower, forwarder }))({});
    const { results } = await caller.kv.pipeline({
      calls: [
        { path: 'kv.put', input: { key: 'x', value: value('v'), session: session(1) } },
        { path: 'kv.get', input: { key: 'x' } },
      ],
    });
    expect(forwarded.sort()).toEqual(['kv.get', 'kv.put']);
    expect(results[0]).toMatchObject({ ok: true, data: { version: 1 } });
    expect(leader.writes).toBe(1);
    // A forwarded pipeline call that lands on a non-leader answers NOT_LEADER in its slot.
    const again = await createCallerFactory(createAppRouter({ kv: follower, forwarder }))({ forwarded: true }).kv.pipeline({
      calls: [{ path: 'kv.get', input: { key: 'x' } }],
    });
    expect(again.results[0]).toMatchObject({ ok: false, error: { code: 'PRECONDITION_FAILED', ringkv: { code: 'NOT_LEADER', leaderHint: 2 } } });
  });

  it('refuses a malformed or oversized pipeline as a whole, and runs none of it', async () => {
    const kv = new FakeKv();
    const caller = createCallerFactory(createAppRouter({ kv }))({});
    const put = { path: 'kv.put', input: { key: 'a', value: value('v'), session: session(1) } } as const;
    const failures: Array<[unknown, 'BAD_REQUEST' | 'TOO_LARGE']> = [
      [{ calls: [] }, 'BAD_REQUEST'],
      [{ calls: Array.from({ length: PIPELINE_CALLS_MAX + 1 }, () => put) }, 'TOO_LARGE'],
      [{ calls: [{ path: 'kv.writeBatch', input: {} }] }, 'BAD_REQUEST'],
      [{ calls: [put], extra: 1 }, 'BAD_REQUEST'],
      [{ calls: [{ ...put, extra: 1 }] }, 'BAD_REQUEST'],
    ];
    for (const [input, code] of failures) {
      const error = await (caller.kv.pipeline as (i: unknown) => Promise<unknown>)(input).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TRPCError);
      expect(ringkvDataOf(error as TRPCError)).toEqual({ code });
    }
    expect(kv.writes).toBe(0);
  });

  it('fails as a whole, as INTERNAL_SERVER_ERROR, when a call hits a bug rather than a typed error', async () => {
    const kv = new FakeKv();
    kv.get = async () => {
      throw new Error('kaput');
    };
    const caller = createCallerFactory(createAppRouter({ kv }))({});
    const error = await caller.kv.pipeline({ calls: [{ path: 'kv.get', input: { key: 'a' } }] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe('INTERNAL_SERVER_ERROR');
    expect(ringkvDataOf(error as TRPCError)).toBeUndefined();
  });
});
