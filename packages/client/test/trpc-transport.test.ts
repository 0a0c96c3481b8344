/**
 * The tRPC transport against a real tRPC WebSocket server on loopback (a small router with the
 * wire shapes, not the real api): answers, the server's error data mapped onto RingKVError,
 * refused and dropped connections as UNAVAILABLE with `connection: true`, subscriptions.
 */
import { TRPCClientError } from '@trpc/client';
import { initTRPC, TRPCError } from '@trpc/server';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { CancelToken } from '../src/cancel';
import { RingKVError } from '../src/errors';
import { FRAME_BYTES_MAX, PendingPipeline, TrpcTransport, toRingKVError, webSocketUrl } from '../src/trpc-transport';
import { estimatedCallBytes } from '../src/values';
import type { WebSocketClass } from '../src/trpc-transport';

class Refusal extends Error {
  constructor(readonly ringkv: Record<string, unknown>) {
    super(String(ringkv.code));
  }
}

const t = initTRPC.create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return { ...shape, data: { ...shape.data, ...(cause instanceof Refusal ? { ringkv: cause.ringkv } : {}) } };
  },
});

const seen: Array<{ type: string; input: unknown }> = [];
const router = t.router({
  kv: t.router({
    get: t.procedure.input((v) => v as { key: string }).query(({ input }) => {
      seen.push({ type: 'query', input });
      if (input.key === 'moved') throw new TRPCError({ code: 'CONFLICT', message: 'not the leader', cause: new Refusal({ code: 'NOT_LEADER', leaderHint: 2, partition: 5 }) });
      if (input.key === 'bad') throw new TRPCError({ code: 'BAD_REQUEST', message: 'key too long' });
      if (input.key === 'boom') throw new Error('kaput');
      if (input.key === 'slow') return new Promise((resolve) => setTimeout(() => resolve({ entry: null, revision: 8 }), 300));
      return { entry: null, revision: 7 };
    }),
    put: t.procedure.input((v) => v as { key: string }).mutation(({ input }) => {
      seen.push({ type: 'mutation', input });
      return { version: 1, createRevision: 3, modRevision: 3 };
    }),
    // The api's kv.pipeline contract: each call answered in its slot, an error in the shape the
    // call on its own would have had (tRPC code, message, RingKV data).
    pipeline: t.procedure.input((v) => v as { calls: Array<{ path: string; input: { key: string } }> }).mutation(async ({ input }) => {
      seen.push({ type: 'pipeline', input });
      if (input.calls.some((c) => c.input.key === 'garbled')) return { results: [] };
      const results = await Promise.all(
        input.calls.map(async (c) => {
          if (c.input.key === 'moved') return { ok: false, error: { code: 'PRECONDITION_FAILED', message: 'not the leader', ringkv: { code: 'NOT_LEADER', leaderHint: 2, partition: 5 } } };
          if (c.input.key === 'bug') return { ok: false, error: { code: 'INTERNAL_SERVER_ERROR', message: 'kaput' } };
          if (c.input.key === 'slow') await new Promise((resolve) => setTimeout(resolve, 300));
          if (c.path === 'kv.put') return { ok: true, data: { version: 1, createRevision: 3, modRevision: 3 } };
          if (c.path === 'kv.delete') return { ok: true, data: { deleted: true, revision: 4 } };
          return { ok: true, data: { entry: null, revision: 7 } };
        }),
      );
      return { results };
    }),
    watch: t.procedure.input((v) => v as { key: string }).subscription(async function* () {
      yield { type: 'put', partition: 0, key: 'w', value: { type: 'string', data: 'a' }, version: 1, modRevision: 1 };
      yield { type: 'put', partition: 0, key: 'w', value: { type: 'string', data: 'b' }, version: 2, modRevision: 2 };
      await new Promise(() => undefined);
    }),
  }),
});

async function startServer(options: { maxPayload?: number; messageSizes?: number[] } = {}): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...(options.maxPayload === undefined ? {} : { maxPayload: options.maxPayload }) });
  await new Promise((r) => wss.once('listening', r));
  if (options.messageSizes !== undefined) wss.on('connection', (ws) => ws.on('message', (data: Buffer) => options.messageSizes!.push(data.length)));
  const handler = applyWSSHandler({ wss, router });
  const port = (wss.address() as AddressInfo).port;
  return {
    endpoint: `127.0.0.1:${port}`,
    stop: async () => {
      handler.broadcastReconnectNotification();
      for (const client of wss.clients) client.terminate();
      await new Promise((r) => wss.close(r));
    },
  };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  seen.length = 0;
});

function transport(): TrpcTransport {
  const tr = new TrpcTransport({ WebSocket: WebSocket as unknown as WebSocketClass, reconnectDelayMs: () => 50 });
  cleanups.push(() => tr.close());
  return tr;
}

/** A 1.5 MiB value: nine of them (13.5 MiB) in one message would pass a 12 MiB server limit. */
const BIG = { type: 'bytes', data: 'A'.repeat(1536 * 1024) };

function nineBigPuts(tr: TrpcTransport, endpoint: string): Array<Promise<unknown>> {
  return Array.from({ length: 9 }, (_, i) => tr.call(endpoint, 'kv.put', { key: `big${i}`, value: BIG }, { cancel: new CancelToken() }));
}

/** Several messages, none past FRAME_BYTES_MAX plus one request. */
function expectFramed(messageSizes: readonly number[]): void {
  expect(messageSizes.length).toBeGreaterThan(2);
  for (const size of messageSizes) expect(size).toBeLessThanOrEqual(FRAME_BYTES_MAX + 1600 * 1024);
}

describe('TrpcTransport', () => {
  it('sends queries and mutations by path and returns the answers', async () => {
    const server = await startServer();
    cleanups.push(server.stop);
    const tr = transport();
    expect(await tr.call(server.endpoint, 'kv.get', { key: 'a' }, { cancel: new CancelToken() })).toEqual({ entry: null, revision: 7 });
    expect(await tr.call(server.endpoint, 'kv.put', { key: 'a' }, { cancel: new CancelToken() })).toEqual({ version: 1, createRevision: 3, modRevision: 3 });
    expect(seen.map((s) => s.type)).toEqual(['query', 'mutation']);
  });

  it("maps the server's ringkv error data, tRPC codes and unknown failures onto RingKVError", async () => {
    const server = await startServer();
    cleanups.push(server.stop);
    const tr = transport();
    const moved = (await tr.call(server.endpoint, 'kv.get', { key: 'moved' }, { cancel: new CancelToken() }).catch((e: unknown) => e)) as RingKVError;
    expect(moved).toBeInstanceOf(RingKVError);
    expect(moved.code).toBe('NOT_LEADER');
    expect(moved.data).toMatchObject({ leaderHint: 2, partition: 5, endpoint: server.endpoint });
    await expect(tr.call(server.endpoint, 'kv.get', { key: 'bad' }, { cancel: new CancelToken() })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(tr.call(server.endpoint, 'kv.get', { key: 'boom' }, { cancel: new CancelToken() })).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(tr.call(server.endpoint, 'kv.scan', {}, { cancel: new CancelToken() })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('a node that refuses connections fails as UNAVAILABLE with connection: true, then fast', async () => {
    const server = await startServer();
    await server.stop(); // the port is now closed
    const tr = transport();
    const first = (await tr.call(server.endpoint, 'kv.get', { key: 'a' }, { cancel: new CancelToken() }).catch((e: unknown) => e)) as RingKVError;
    expect(first.code).toBe('UNAVAILABLE');
    expect(first.data.connection).toBe(true);
    const t0 = performance.now();
    const second = (await tr.call(server.endpoint, 'kv.get', { key: 'a' }, { cancel: new CancelToken() }).catch((e: unknown) => e)) as RingKVError;
    expect(second.data.connection).toBe(true);
    expect(performance.now() - t0).toBeLessThan(50);
  });

  it('delivers subscription data and fails the subscription when the node goes away', async () => {
    const server = await startServer();
    const tr = transport();
    const data: unknown[] = [];
    const failed = new Promise<RingKVError>((resolve) => {
      tr.subscribe(server.endpoint, 'kv.watch', { key: 'w' }, {
        onData: (d) => {
          data.push(d);
          if (data.length === 2) void server.stop();
        },
        onError: (e) => resolve(e as RingKVError),
        onComplete: () => undefined,
      });
    });
    const error = await failed;
    expect(data).toHaveLength(2);
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.data.connection).toBe(true);
  });

  it('a call cancelled in flight rejects at once with the reason, and the late answer changes nothing', async () => {
    const server = await startServer();
    cleanups.push(server.stop);
    const tr = transport();
    await tr.call(server.endpoint, 'kv.get', { key: 'a' }, { cancel: new CancelToken() }); // socket open
    const token = new CancelToken();
    const t0 = performance.now();
    const slow = tr.call(server.endpoint, 'kv.get', { key: 'slow' }, { cancel: token });
    const reason = new RingKVError('TIMEOUT', 'attempt timed out', { connection: true });
    setTimeout(() => token.cancel(reason), 20);
    await expect(slow).rejects.toBe(reason);
    expect(performance.now() - t0).toBeLessThan(250); // the server answers after 300 ms
    // The socket still serves the next call, and the dropped request's late answer reaches no one.
    await new Promise((r) => setTimeout(r, 350));
    expect(await tr.call(server.endpoint, 'kv.get', { key: 'a' }, { cancel: new CancelToken() })).toEqual({ entry: null, revision: 7 });
  });

  it('a call whose token already fired is not sent', async () => {
    const server = await startServer();
    cleanups.push(server.stop);
    const tr = transport();
    const token = new CancelToken();
    const reason = new RingKVError('ABORTED', 'caller gave up');
    token.cancel(reason);
    await expect(tr.call(server.endpoint, 'kv.put', { key: 'x' }, { cancel: token })).rejects.toBe(reason);
    await tr.call(server.endpoint, 'kv.get', { key: 'a' }, { cancel: new CancelToken() });
    expect(seen.map((s) => s.type)).toEqual(['query']);
  });

  it('a call in flight when its node dies fails as UNAVAILABLE with connection: true', async () => {
    const server = await startServer();
    const tr = transport();
    await tr.call(server.endpoint, 'kv.get', { key: 'a' }, { cancel: new CancelToken() });
    const slow = tr.call(server.endpoint, 'kv.get', { key: 'slow' }, { cancel: new CancelToken() });
    setTimeout(() => void server.stop(), 20);
    const error = (await slow.catch((e: unknown) => e)) as RingKVError;
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.data).toMatchObject({ connection: true, endpoint: server.endpoint });
  });

  it("maps a request failed by its socket's close or error event onto UNAVAILABLE with connection: true", () => {
    // What tRPC's socket client hands a pending request when the socket closes: the event as cause.
    for (const type of ['close', 'error']) {
      const failed = toRingKVError(TRPCClientError.from({ type, target: {} }), 'n1:1');
      expect(failed.code).toBe('UNAVAILABLE');
      expect(failed.data).toEqual({ endpoint: 'n1:1', connection: true });
    }
  });

  it("sends a lone call to an idle node at once, and leaves a busy node's calls and pipelines to tRPC's millisecond of batching", async () => {
    const server = await startServer();
    cleanups.push(server.stop);
    const tr = transport();
    // Opens the socket with real timers.
    expect(await tr.call(server.endpoint, 'kv.get', { key: 'a' }, { cancel: new CancelToken() })).toEqual({ entry: null, revision: 7 });
    // From here a timer runs only when the test advances the fake clock (the server, in this
    // process, included). Turns of the event loop go on: setImmediate is not faked.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const turns = async (n: number, until: () => boolean = () => false): Promise<void> => {
      for (let turn = 0; turn < n && !until(); turn++) await new Promise((r) => setImmediate(r));
    };
    try {
      // Idle node: the call leaves without waiting for tRPC's setTimeout(0) flush.
      let answered = false;
      const lone = tr.call(server.endpoint, 'kv.put', { key: 'b' }, { cancel: new CancelToken() }).then(() => (answered = true));
      await turns(100_000, () => answered);
      expect(answered).toBe(true);
      await lone;

      // Busy node (a get whose answer waits for the server's fake timer): the next calls wait for
      // tRPC's flush, one fake millisecond, and then go together.
      const slow = tr.call(server.endpoint, 'kv.get', { key: 'slow' }, { cancel: new CancelToken() });
      await turns(100_000, () => seen.length === 3);
      const piped = Promise.all([tr.call(server.endpoint, 'kv.get', { key: 'c' }, { cancel: new CancelToken() }), tr.call(server.endpoint, 'kv.put', { key: 'd' }, { cancel: new CancelToken() })]);
      await turns(2_000);
      expect(seen.map((s) => s.type)).toEqual(['query', 'mutation', 'query']);
      await vi.advanceTimersByTimeAsync(1);
      await turns(100_000, () => seen.length === 5);
      expect(seen.map((s) => s.type)).toEqual(['query', 'mutation', 'query', 'query', 'mutation']);
      await vi.advanceTimersByTimeAsync(300);
      expect(await slow).toEqual({ entry: null, revision: 8 });
      await piped;

      // Idle node, two gets in one tick: their pipeline waits for the millisecond too.
      const pair = Promise.all([tr.call(server.endpoint, 'kv.get', { key: 'e' }, { cancel: new CancelToken() }), tr.call(server.endpoint, 'kv.get', { key: 'f' }, { cancel: new CancelToken() })]);
      await turns(2_000);
      expect(seen.length).toBe(5);
      await vi.advanceTimersByTimeAsync(1);
      await turns(100_000, () => seen.length === 6);
      expect(seen[5]!.type).toBe('pipeline');
      await pair;
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps each WebSocket message under FRAME_BYTES_MAX plus one request: large writes of one tick do not add up past the server limit', async () => {
    const messageSizes: number[] = [];
    const server = await startServer({ maxPayload: 12 * 1024 * 1024, messageSizes });
    cleanups.push(server.stop);
    const tr = transport();
    await tr.call(server.endpoint, 'kv.get', { key: 'a' }, { cancel: new CancelToken() });
    messageSizes.length = 0;
    // A slow get keeps the node busy, so the puts that follow wait for tRPC's frame together.
    const slow = tr.call(server.endpoint, 'kv.get', { key: 'slow' }, { cancel: new CancelToken() });
    const puts = nineBigPuts(tr, server.endpoint);
    expect(await Promise.all(puts)).toHaveLength(9);
    await slow;
    expectFramed(messageSizes);
    expect(messageSizes.reduce((a, b) => a + b, 0)).toBeGreaterThan(9 * 1536 * 1024);
  });

  it('holds the calls made while a socket opens and sends them in frames once it is open, not as one message past the server limit', async () => {
    const messageSizes: number[] = [];
    const server = await startServer({ maxPayload: 12 * 1024 * 1024, messageSizes });
    cleanups.push(server.stop);
    const tr = transport();
    // A new transport: the node's socket is still opening when all nine are made (tRPC queued
    // them and sent one 13.8 MB message once it opened; the server closed the socket).
    const puts = nineBigPuts(tr, server.endpoint);
    const cancelled = new CancelToken();
    const never = expect(tr.call(server.endpoint, 'kv.put', { key: 'cancelled', value: BIG }, { cancel: cancelled })).rejects.toMatchObject({ code: 'ABORTED' });
    cancelled.cancel(new RingKVError('ABORTED', 'the caller gave up'));
    expect(await Promise.all(puts)).toHaveLength(9);
    await never;
    expectFramed(messageSizes);
    // the cancelled one was never sent: nine values' worth of bytes, not ten
    expect(messageSizes.reduce((a, b) => a + b, 0)).toBeLessThan(10 * 1536 * 1024);
  });

  it('fails the calls still waiting for a socket when the client closes, single and pipelined', async () => {
    const server = await startServer();
    cleanups.push(server.stop);
    const tr = new TrpcTransport({ WebSocket: WebSocket as unknown as WebSocketClass, reconnectDelayMs: () => 50 });
    const big = { type: 'bytes', data: 'A'.repeat(128 * 1024) };
    const single = tr.call(server.endpoint, 'kv.put', { key: 'w', value: big }, { cancel: new CancelToken() });
    const piped = [1, 2].map((i) => tr.call(server.endpoint, 'kv.get', { key: `g${i}` }, { cancel: new CancelToken() }));
    const outcomes = Promise.allSettled([single, ...piped]);
    await new Promise((r) => setImmediate(r)); // the pipeline leaves its queue, to wait for the socket
    await tr.close();
    for (const o of await outcomes) expect(o).toMatchObject({ status: 'rejected', reason: { code: 'CLOSED' } });
  });

  it("sends the gets queued for a node in one tick as one pipeline and its writes as another, each answered in its slot", async () => {
    const server = await startServer();
    cleanups.push(server.stop);
    const tr = transport();
    const call = (path: 'kv.get' | 'kv.put' | 'kv.delete', key: string) => tr.call(server.endpoint, path, { key }, { cancel: new CancelToken() }).catch((e: unknown) => e);
    const [a, b, moved, bug, d, writeMoved] = await Promise.all([
      call('kv.get', 'a'),
      call('kv.put', 'b'),
      call('kv.get', 'moved'),
      call('kv.get', 'bug'),
      call('kv.delete', 'd'),
      call('kv.put', 'moved'),
    ]);
    expect(seen.map((s) => s.type)).toEqual(['pipeline', 'pipeline']);
    expect(seen.map((s) => s.input)).toEqual([
      {
        calls: [
          { path: 'kv.get', input: { key: 'a' } },
          { path: 'kv.get', input: { key: 'moved' } },
          { path: 'kv.get', input: { key: 'bug' } },
        ],
      },
      {
        calls: [
          { path: 'kv.put', input: { key: 'b' } },
          { path: 'kv.delete', input: { key: 'd' } },
          { path: 'kv.put', input: { key: 'moved' } },
        ],
      },
    ]);
    expect(a).toEqual({ entry: null, revision: 7 });
    expect(b).toEqual({ version: 1, createRevision: 3, modRevision: 3 });
    expect(d).toEqual({ deleted: true, revision: 4 });
    expect(writeMoved).toMatchObject({ code: 'NOT_LEADER', data: { leaderHint: 2, partition: 5, endpoint: server.endpoint } });
    // A slot's error maps exactly as the same error of a call on its own.
    expect(moved).toBeInstanceOf(RingKVError);
    expect(moved).toMatchObject({ code: 'NOT_LEADER', message: 'not the leader', data: { leaderHint: 2, partition: 5, endpoint: server.endpoint } });
    expect(bug).toMatchObject({ code: 'INTERNAL' });
    // A get or a write alone in its tick goes on its own.
    seen.length = 0;
    await call('kv.get', 'c');
    await call('kv.put', 'c');
    expect(seen.map((s) => s.type)).toEqual(['query', 'mutation']);
    // A call marked alone (a retry) goes on its own even with others queued in its tick.
    seen.length = 0;
    await Promise.all([call('kv.get', 'h'), tr.call(server.endpoint, 'kv.get', { key: 'i' }, { cancel: new CancelToken(), alone: true }), call('kv.get', 'j')]);
    expect(seen.map((s) => s.type).sort()).toEqual(['pipeline', 'query']);
    expect(seen.find((s) => s.type === 'query')!.input).toEqual({ key: 'i' });
        // Without pipelining every call goes on its own.
    seen.length = 0;
    const plain = new TrpcTransport({ WebSocket: WebSocket as unknown as WebSocketClass, pipelining: false });
    cleanups.push(() => plain.close());
    const opts = { cancel: new CancelToken() };
    await Promise.all([plain.call(server.endpoint, 'kv.get', { key: 'e' }, opts), plain.call(server.endpoint, 'kv.get', { key: 'f' }, opts), plain.call(server.endpoint, 'kv.put', { key: 'g' }, opts)]);
    expect(seen.map((s) => s.type).sort()).toEqual(['mutation', 'query', 'query']);
  });

  it('a pipelined call cancelled in flight settles alone; a malformed answer or a dead node fails every call', async () => {
    const server = await startServer();
    const tr = transport();
    await tr.call(server.endpoint, 'kv.get', { key: 'a' }, { cancel: new CancelToken() }); // socket open
    const token = new CancelToken();
    const reason = new RingKVError('TIMEOUT', 'attempt timed out');
    const slow = tr.call(server.endpoint, 'kv.get', { key: 'slow' }, { cancel: token });
    const other = tr.call(server.endpoint, 'kv.get', { key: 'slow' }, { cancel: new CancelToken() });
    setTimeout(() => token.cancel(reason), 20);
    await expect(slow).rejects.toBe(reason);
    expect(await other).toEqual({ entry: null, revision: 7 });
    // A call cancelled before its tick's pipeline leaves is not sent.
    seen.length = 0;
    const early = new CancelToken();
    const dropped = tr.call(server.endpoint, 'kv.get', { key: 'never' }, { cancel: early });
    const kept = tr.call(server.endpoint, 'kv.get', { key: 'kept' }, { cancel: new CancelToken() });
    early.cancel(reason);
    await expect(dropped).rejects.toBe(reason);
    await kept;
    expect(seen).toEqual([{ type: 'query', input: { key: 'kept' } }]);
    // An answer with the wrong number of slots fails every call of the pipeline.
    const garbled = await Promise.all(['a', 'garbled'].map((key) => tr.call(server.endpoint, 'kv.get', { key }, { cancel: new CancelToken() }).catch((e: unknown) => e)));
    for (const e of garbled) expect(e).toMatchObject({ code: 'INTERNAL' });
    // The node dies with a pipeline in flight: every call fails UNAVAILABLE, connection: true.
    const inFlight = ['slow', 'slow'].map((key) => tr.call(server.endpoint, 'kv.get', { key }, { cancel: new CancelToken() }).catch((e: unknown) => e));
    setTimeout(() => void server.stop(), 20);
    for (const e of await Promise.all(inFlight)) expect(e).toMatchObject({ code: 'UNAVAILABLE', data: { connection: true, endpoint: server.endpoint } });
  });

  it('a pipeline completed after its answer builds no error; one completed before it fails every call as ABORTED', () => {
    const settled: string[] = [];
    const calls = ['a', 'b'].map((name) => ({
      path: 'kv.put' as const,
      input: { key: name },
      cancel: new CancelToken(),
      resolve: () => settled.push(`${name} ok`),
      reject: (e: RingKVError) => settled.push(`${name} ${e.code}`),
    }));
    const node = { calls: new Set() } as never;
    const answered = new PendingPipeline(node, 'n1', calls);
    const fail = vi.spyOn(answered, 'fail');
    answered.next({ result: { data: { results: [{ ok: true, data: 1 }, { ok: true, data: 2 }] } } });
    // tRPC completes every request after its answer: nothing is left to fail, so nothing is built.
    answered.complete();
    expect(fail).not.toHaveBeenCalled();
    expect(settled).toEqual(['a ok', 'b ok']);

    settled.length = 0;
    const dropped = new PendingPipeline(node, 'n1', calls);
    dropped.complete();
    expect(settled).toEqual(['a ABORTED', 'b ABORTED']);
  });

  it("estimates a call's size from its key and string or bytes value, and declines to guess a JSON value", () => {
    expect(estimatedCallBytes({ key: 'abc' })).toBe(256 + 18);
    expect(estimatedCallBytes({ key: { bytes: 'AAAA' }, value: { type: 'bytes', data: 'AAAAAAAA' } })).toBe(256 + 4 + 8);
    expect(estimatedCallBytes({ key: 'k', value: { type: 'string', data: 'é' } })).toBe(256 + 6 + 6);
    expect(estimatedCallBytes({ key: 'k', value: { type: 'json', data: { a: 1 } } })).toBeUndefined();
    expect(estimatedCallBytes({ key: 7 })).toBeUndefined();
  });

  it('turns host:port into a ws:// URL and keeps explicit schemes', () => {
    expect(webSocketUrl('127.0.0.1:7001')).toBe('ws://127.0.0.1:7001');
    expect(webSocketUrl('http://h:1')).toBe('ws://h:1');
    expect(webSocketUrl('https://h:1/x')).toBe('wss://h:1/x');
    expect(webSocketUrl('ws://h:1')).toBe('ws://h:1');
  });
});
