import { describe, expect, it } from 'vitest';
import { createAppRouter } from '@ringkv/api';
import { CancelToken, RingKVError } from '@ringkv/client';
import { nodeId, Prng, type NodeId } from '@ringkv/stdx';
import { FakeKv } from '../../api/test/fake-kv';
import { Scheduler } from '../src/scheduler';
import { SimApi, type ApiEndpoint } from '../src/sim-api';
import { SimClientTransport, simApiAddress } from '../src/sim-client-transport';
import { SimClock } from '../src/sim-clock';
import { SimForwarder } from '../src/sim-forwarder';
import { SimNetwork } from '../src/sim-network';

const CLIENT = nodeId(1000);

/** Two nodes with fake stores: node 1 answers NOT_LEADER (leader: 2) unless told otherwise. */
function world() {
  const scheduler = new Scheduler();
  const network = new SimNetwork(scheduler, new Prng(1).fork('net'));
  const kvs = [new FakeKv(), new FakeKv()];
  kvs[0]!.notLeaderHint = 2;
  const up = new Map<NodeId, ApiEndpoint>();
  let pausedUntilMs = -1;
  const api = new SimApi(scheduler, network, new Prng(1).fork('api'), (id) => up.get(id));
  kvs.forEach((kv, i) => {
    const id = nodeId(i + 1);
    const clock = new SimClock(scheduler, { label: `n${id}`, driftPpm: 0, wallStartMs: 0 });
    up.set(id, {
      router: createAppRouter({ kv, forwarder: new SimForwarder(api, id, clock) }),
      incarnation: 1,
      isPaused: () => id === 2 && pausedUntilMs > scheduler.nowMs,
      resumeAtSimMs: () => Math.max(pausedUntilMs, scheduler.nowMs),
    });
  });
  const transport = new SimClientTransport(api, CLIENT);
  /** Runs `call` to completion in virtual time; returns its outcome and when it settled. */
  async function run(call: () => Promise<unknown>, forMs = 10_000): Promise<{ value?: unknown; error?: unknown; atMs?: number }> {
    const out: { value?: unknown; error?: unknown; atMs?: number } = {};
    scheduler.after(0, 'call', () => {
      call().then(
        (value) => Object.assign(out, { value, atMs: scheduler.nowMs }),
        (error: unknown) => Object.assign(out, { error, atMs: scheduler.nowMs }),
      );
    });
    await scheduler.runUntil(scheduler.nowMs + forMs);
    return out;
  }
  const cancel = () => new CancelToken();
  const session = { clientId: 'c', seq: 1 };
  return { scheduler, network, kvs, up, api, transport, run, cancel, session, pause: (untilMs: number) => (pausedUntilMs = untilMs) };
}

describe('SimClientTransport over SimApi (the real router behind a simulated network)', () => {
  it('forwards a write from a follower to the leader and answers with the wire shape', async () => {
    const w = world();
    const r = await w.run(() => w.transport.call(simApiAddress(1), 'kv.put', { key: 'a', value: { type: 'string', data: 'x' }, session: w.session }, { cancel: w.cancel() }));
    expect(r.error).toBeUndefined();
    // The forwarded answer names the leader that served it (ServedBy), as over HTTP.
    expect(r.value).toEqual({ version: 1, createRevision: 1, modRevision: 1, leaderHint: 2 });
    expect(w.kvs[1]!.data.size).toBe(1);
    expect(w.kvs[0]!.data.size).toBe(0);
    expect(w.api.stats.forwarded).toBe(1);
    expect(r.atMs).toBeGreaterThan(0); // four network hops took virtual time
  });

  it('carries server errors as the SDK sees them: CONDITION_FAILED with data (through the forwarder), BAD_REQUEST from zod', async () => {
    const w = world();
    await w.run(() => w.transport.call(simApiAddress(2), 'kv.put', { key: 'a', value: { type: 'string', data: 'x' }, session: w.session }, { cancel: w.cancel() }));
    const cond = await w.run(() => w.transport.call(simApiAddress(1), 'kv.put', { key: 'a', value: { type: 'string', data: 'y' }, ifVersion: 7, session: w.session }, { cancel: w.cancel() }));
    expect(cond.error).toBeInstanceOf(RingKVError);
    expect((cond.error as RingKVError).code).toBe('CONDITION_FAILED');
    expect((cond.error as RingKVError).data.currentVersion).toBe(1);
    const bad = await w.run(() => w.transport.call(simApiAddress(2), 'kv.put', { key: 'a', value: { type: 'string', data: 'y' } }, { cancel: w.cancel() }));
    expect((bad.error as RingKVError).code).toBe('BAD_REQUEST');
  });

  it('a down node is a connection failure; a cut link is silence until the caller aborts; a paused node answers after it resumes', async () => {
    const w = world();
    w.up.delete(nodeId(2));
    const down = await w.run(() => w.transport.call(simApiAddress(2), 'kv.get', { key: 'a' }, { cancel: w.cancel() }));
    expect((down.error as RingKVError).code).toBe('UNAVAILABLE');
    expect((down.error as RingKVError).data.connection).toBe(true);

    const w2 = world();
    w2.network.cut(CLIENT, nodeId(2));
    const token = new CancelToken();
    w2.scheduler.after(3_000, 'give up', () => token.cancel(new RingKVError('TIMEOUT', 'attempt timed out')));
    const cut = await w2.run(() => w2.transport.call(simApiAddress(2), 'kv.get', { key: 'a' }, { cancel: token }));
    expect((cut.error as RingKVError).code).toBe('TIMEOUT');
    expect(cut.atMs).toBe(3_000);

    const w3 = world();
    w3.pause(5_000);
    const paused = await w3.run(() => w3.transport.call(simApiAddress(2), 'kv.get', { key: 'a' }, { cancel: w3.cancel() }));
    expect(paused.value).toEqual({ entry: null, revision: 0 });
    expect(paused.atMs).toBeGreaterThanOrEqual(5_000);
  });
});
