/**
 * The forwarder's fetch over node:http: what tRPC's httpLink sends arrives as sent, answers come
 * back with their status, connections are kept and reused, and the response cap, an abort and an
 * unreachable peer each fail the call.
 */
import { Agent, createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpFetch } from '../src/http/http-fetch';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  socket: Socket;
}

let server: Server | undefined;
let agent: Agent | undefined;
afterEach(async () => {
  agent?.destroy();
  if (server !== undefined) {
    server.closeAllConnections();
    await new Promise((r) => server!.close(r));
  }
  server = agent = undefined;
});

async function serve(answer: (seen: Seen, res: ServerResponse) => void, host = '127.0.0.1'): Promise<{ base: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const s = { method: req.method!, url: req.url!, headers: req.headers, body, socket: req.socket };
      seen.push(s);
      answer(s, res);
    });
  });
  await new Promise<void>((r) => server!.listen(0, host, r));
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  return { base: `http://${hostInUrl}:${(server.address() as AddressInfo).port}`, seen };
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('httpFetch', () => {
  it('sends method, path, query, headers and body as given and returns the status and JSON', async () => {
    const { base, seen } = await serve((s, res) => json(res, 200, { result: { data: { got: s.body } } }));
    agent = new Agent({ keepAlive: true });
    const fetch = httpFetch(agent, 1024);
    const res = await fetch(`${base}/trpc/kv.put?x=1`, { method: 'POST', body: '{"key":"é"}', headers: { 'Content-Type': 'application/json', 'x-ringkv-forwarded': '1' } });
    expect(res.ok).toBe(true);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ result: { data: { got: '{"key":"é"}' } } });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/trpc/kv.put?x=1', body: '{"key":"é"}' });
    expect(seen[0]!.headers).toMatchObject({ 'content-type': 'application/json', 'x-ringkv-forwarded': '1', 'content-length': String(Buffer.byteLength('{"key":"é"}')) });

    const get = await fetch(new URL(`${base}/trpc/kv.get?input=%7B%7D`), { headers: [['X-A', 'b']] });
    expect(seen[1]).toMatchObject({ method: 'GET', url: '/trpc/kv.get?input=%7B%7D', body: '' });
    expect(seen[1]!.headers['x-a']).toBe('b');
    expect(get.ok).toBe(true);
  });

  it('reaches a leader at an IPv6 address (brackets in the URL, none for node:http)', async () => {
    const { base, seen } = await serve((_s, res) => json(res, 200, { result: { data: 'v6' } }), '::1');
    expect(base.startsWith('http://[::1]:')).toBe(true);
    agent = new Agent({ keepAlive: true });
    const res = await httpFetch(agent, 1024)(`${base}/trpc/cluster.health`);
    expect(await res.json()).toEqual({ result: { data: 'v6' } });
    expect(seen).toHaveLength(1);
  });

  it('returns an error status with its JSON body and ok false (tRPC reads the error from it)', async () => {
    const { base } = await serve((_s, res) => json(res, 409, { error: { message: 'condition failed' } }));
    agent = new Agent({ keepAlive: true });
    const res = await httpFetch(agent, 1024)(`${base}/trpc/kv.put`, { method: 'POST', body: '{}' });
    expect(res.ok).toBe(false);
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ error: { message: 'condition failed' } });
  });

  it('keeps the connection and reuses it for the next call', async () => {
    const { base, seen } = await serve((_s, res) => json(res, 200, {}));
    agent = new Agent({ keepAlive: true });
    const fetch = httpFetch(agent, 1024);
    for (let i = 0; i < 5; i++) await (await fetch(`${base}/a`)).json();
    expect(seen).toHaveLength(5);
    expect(new Set(seen.map((s) => s.socket)).size).toBe(1);
  });

  it('fails a response longer than the cap, and one that is not JSON when read', async () => {
    const { base } = await serve((s, res) => (s.url === '/big' ? json(res, 200, { data: 'x'.repeat(5000) }) : res.end('not json')));
    agent = new Agent({ keepAlive: true });
    const fetch = httpFetch(agent, 1024);
    await expect(fetch(`${base}/big`)).rejects.toThrow(/passed 1024 bytes; cut off/);
    const res = await fetch(`${base}/text`);
    await expect(res.json()).rejects.toThrow(SyntaxError);
  });

  it('fails on an abort while the peer has not answered, and on a peer that is not there', async () => {
    const { base } = await serve(() => {
      /* never answers */
    });
    agent = new Agent({ keepAlive: true });
    const fetch = httpFetch(agent, 1024);
    await expect(fetch(`${base}/slow`, { signal: AbortSignal.timeout(100) })).rejects.toThrow(/abort/i);
    // A port nothing listens on: take one and let it go.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await expect(fetch(`http://127.0.0.1:${port}/x`)).rejects.toThrow(/ECONNREFUSED/);
    await expect(fetch('https://127.0.0.1/x')).rejects.toThrow(/plain http only/);
  });
});
