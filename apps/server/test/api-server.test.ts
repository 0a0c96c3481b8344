/**
 * The API server's request path over real sockets, with the real router over an instant Store:
 * a burst of WebSocket calls (what the SDK's wsLink sends in one frame) each gets its own reply
 * although the replies leave in one socket write, and bad input is refused over WebSocket and
 * HTTP with the typed codes before anything reaches the Store.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createTRPCUntypedClient, createWSClient, TRPCClientError, wsLink } from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { createAppRouter, KEY_SIZE_BYTES_MAX } from '@ringkv/api';
import type { ApiServer } from '../src/http/api-server';
import { API_CONNECTIONS_MAX, startApiServer } from '../src/http/api-server';
import { coalesceSends } from '../src/http/coalesce-sends';
import { NodeMetrics } from '../src/http/metrics';
import { InstantStore } from './instant-store';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(connectionsMax?: number): Promise<{ kv: InstantStore; server: ApiServer; url: string }> {
  const kv = new InstantStore();
  const metrics = new NodeMetrics({
    transport: () => ({ framesSent: 0, framesReceived: 0, framesDropped: 0, bytesSent: 0, bytesReceived: 0, connectionsRefused: 0, protocolErrors: 0 }),
    health: () => kv.health(),
    cache: () => ({ hits: 0, misses: 0, sizeBytes: 0, entries: 0 }),
    kvQueue: () => ({ flushes: 0, queuedOps: 0 }),
    log: () => ({ commits: 0, bytesPreallocated: 0, preallocationError: undefined }),
    forwarded: () => 0,
    store: () => {
      throw new Error('no Store stats here');
    },
  });
  const server = await startApiServer({
    router: createAppRouter({ kv }),
    listen: { host: '127.0.0.1', port: 0 },
    metrics,
    notReadyReason: () => undefined,
    ...(connectionsMax === undefined ? {} : { connectionsMax }),
  });
  cleanups.push(() => server.close());
  return { kv, server, url: `127.0.0.1:${server.address.port}` };
}

function wsClient(url: string) {
  const wsClient = createWSClient({ url: `ws://${url}`, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket });
  cleanups.push(() => wsClient.close());
  return createTRPCUntypedClient<AnyTRPCRouter>({ links: [wsLink({ client: wsClient })] });
}

async function ringkvCode(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
  } catch (error) {
    expect(error).toBeInstanceOf(TRPCClientError);
    return ((error as TRPCClientError<AnyTRPCRouter>).data as { ringkv?: { code: string } } | undefined)?.ringkv?.code;
  }
  throw new Error('expected the call to fail');
}

const session = (seq: number) => ({ clientId: 'api-server-test', seq });

describe('api server', () => {
  it('answers each call of a burst over one WebSocket with its own reply', async () => {
    const { kv, url } = await serve();
    const client = wsClient(url);
    const keys = Array.from({ length: 200 }, (_, i) => `key-${i}`);
    const puts = await Promise.all(keys.map((key, i) => client.mutation('kv.put', { key, value: { type: 'string', data: `value-${i}` }, session: session(i + 1) })));
    expect(puts.every((out) => (out as { version: number }).version === 1)).toBe(true);
    const gets = await Promise.all(keys.map((key) => client.query('kv.get', { key, consistency: 'linearizable' })));
    expect(gets.map((out) => (out as { entry: { key: string; value: { data: string } } }).entry)).toEqual(
      keys.map((key, i) => expect.objectContaining({ key, value: { type: 'string', data: `value-${i}` } })),
    );
    expect(kv.writes).toBe(200);
  });

  it('refuses bad input over WebSocket and HTTP with the typed codes, writing nothing', async () => {
    const { kv, url } = await serve();
    const client = wsClient(url);
    const bigKey = 'k'.repeat(KEY_SIZE_BYTES_MAX + 1);
    expect(await ringkvCode(client.query('kv.get', { key: 7 }))).toBe('BAD_REQUEST');
    expect(await ringkvCode(client.query('kv.get', { key: bigKey }))).toBe('TOO_LARGE');
    expect(await ringkvCode(client.mutation('kv.put', { key: 'a', value: { type: 'string', data: 'v' } }))).toBe('BAD_REQUEST');
    expect(await ringkvCode(client.mutation('kv.put', { key: bigKey, value: { type: 'string', data: 'v' }, session: session(1) }))).toBe('TOO_LARGE');

    const post = async (path: string, body: unknown) => {
      const res = await fetch(`http://${url}/trpc/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, code: ((await res.json()) as { error?: { data?: { ringkv?: { code: string } } } }).error?.data?.ringkv?.code };
    };
    expect(await post('kv.put', { key: bigKey, value: { type: 'string', data: 'v' }, session: session(2) })).toEqual({ status: 400, code: 'TOO_LARGE' });
    expect(await post('kv.put', { key: 'a', value: { type: 'nope' }, session: session(3) })).toEqual({ status: 400, code: 'BAD_REQUEST' });
    expect(kv.writes).toBe(0);
    // A query may be POSTed (its input in the body; what the forwarder sends): it is answered.
    expect(await post('kv.get', { key: bigKey })).toEqual({ status: 400, code: 'TOO_LARGE' });
    const posted = await fetch(`http://${url}/trpc/kv.get`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: 'none' }) });
    expect(posted.status).toBe(200);
    expect(((await posted.json()) as { result: { data: { entry: unknown } } }).result.data.entry).toBeNull();
    // The same server still serves good input on both.
    await client.mutation('kv.put', { key: 'a', value: { type: 'string', data: 'v' }, session: session(4) });
    expect((await post('kv.put', { key: 'b', value: { type: 'string', data: 'v' }, session: session(5) })).status).toBe(200);
    expect(kv.writes).toBe(2);
  });

  it('tells WebSocket clients to reconnect before it closes their sockets', async () => {
    const { server, url } = await serve();
    const socket = new WebSocket(`ws://${url}`);
    cleanups.push(() => socket.terminate());
    const messages: string[] = [];
    socket.on('message', (data) => messages.push(String(data)));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await new Promise((resolve) => socket.once('open', resolve));
    await server.close();
    await closed;
    expect(messages.map((m) => JSON.parse(m) as unknown)).toEqual([{ id: null, method: 'reconnect' }]);
  });

  it('closes connections past its limit at once; a closed one makes room', async () => {
    expect(API_CONNECTIONS_MAX).toBe(10_000);
    const { url } = await serve(2);
    const open = async (): Promise<WebSocket> => {
      const socket = new WebSocket(`ws://${url}`);
      cleanups.push(() => socket.terminate());
      await new Promise((resolve) => socket.once('open', resolve));
      return socket;
    };
    const first = await open();
    await open();
    const third = new WebSocket(`ws://${url}`);
    cleanups.push(() => third.terminate());
    const outcome = await new Promise<string>((resolve) => {
      third.once('open', () => resolve('open'));
      third.once('error', () => resolve('refused'));
    });
    expect(outcome).toBe('refused');
    // A connection that closes makes room: a new client connects and is served.
    const gone = new Promise((resolve) => first.once('close', resolve));
    first.close();
    await gone;
    await new Promise((r) => setTimeout(r, 50));
    const client = wsClient(url);
    await expect(client.query('kv.get', { key: 'k' })).resolves.toMatchObject({ entry: null });
  });
});

describe('coalesceSends', () => {
  it('holds the replies of one burst in the socket until the next tick, then sends them in order', async () => {
    const server = http.createServer();
    const wss = new WebSocketServer({ server });
    let serverSocket: Socket | undefined;
    let burst: (() => void) | undefined;
    const observed: Array<{ corked: number; bufferedBytes: number }> = [];
    wss.on('connection', (ws, req) => {
      serverSocket = req.socket;
      coalesceSends(ws, req.socket);
      burst = () => {
        for (let i = 0; i < 50; i++) ws.send(`m${i}`);
        observed.push({ corked: req.socket.writableCorked, bufferedBytes: req.socket.writableLength });
        process.nextTick(() => process.nextTick(() => observed.push({ corked: req.socket.writableCorked, bufferedBytes: req.socket.writableLength })));
      };
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    cleanups.push(() => client.terminate());
    const received: string[] = [];
    const all = new Promise<void>((resolve) =>
      client.on('message', (data) => {
        received.push(String(data));
        if (received.length === 50) resolve();
      }),
    );
    await new Promise((resolve) => client.once('open', resolve));
    while (burst === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    burst();
    await all;
    expect(serverSocket).toBeDefined();
    // Corked with all 50 frames buffered during the burst; flushed (not corked, nothing held) a tick later.
    expect(observed[0]!.corked).toBe(1);
    expect(observed[0]!.bufferedBytes).toBeGreaterThanOrEqual(50 * 4);
    expect(observed[1]).toEqual({ corked: 0, bufferedBytes: 0 });
    expect(received).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
  });
});
