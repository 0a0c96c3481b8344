/**
 * The forwarder's bounds: at most `inFlightMax` calls to one leader at once, then a bounded line
 * within the call's timeout, then an immediate UNAVAILABLE that forwards nothing. Driven against
 * a stand-in leader (a plain HTTP server answering tRPC's JSON shape) that holds every request
 * until the test releases it.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreError } from '@ringkv/multiraft';
import { nodeId } from '@ringkv/stdx';
import { FORWARDS_IN_FLIGHT_MAX, FORWARDS_QUEUED_MAX, TrpcForwarder } from '../src/http/forwarder';

interface Leader {
  address: string;
  held: Array<() => void>;
  open: number;
  maxOpen: number;
  received: number;
  requests: Array<{ method: string; url: string; bodyBytes: number }>;
  close(): Promise<void>;
}

async function standInLeader(): Promise<Leader> {
  const leader = { held: [] as Array<() => void>, open: 0, maxOpen: 0, received: 0, requests: [] } as unknown as Leader;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      leader.received++;
      leader.open++;
      leader.maxOpen = Math.max(leader.maxOpen, leader.open);
      const input = JSON.parse(body) as { key: string };
      leader.requests.push({ method: req.method!, url: req.url!, bodyBytes: body.length });
      leader.held.push(() => {
        leader.open--;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ result: { data: { echoed: input.key } } }));
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  leader.address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  leader.close = async () => {
    for (const release of leader.held.splice(0)) release();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return leader;
}

const until = async (what: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !what(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(what()).toBe(true);
};

let leader: Leader | undefined;
afterEach(async () => {
  await leader?.close();
  leader = undefined;
});

describe('forwarder limits', () => {
  it('defaults to 128 calls in flight and 4096 waiting per leader', () => {
    expect(FORWARDS_IN_FLIGHT_MAX).toBe(128);
    expect(FORWARDS_QUEUED_MAX).toBe(4096);
  });

  it('keeps at most inFlightMax calls open to a leader, lines up the next ones, refuses past the line', async () => {
    leader = await standInLeader();
    const l = leader;
    const forwarder = new TrpcForwarder(() => l.address, 10_000, { inFlightMax: 2, queuedMax: 3 });
    const to = nodeId(2);
    const calls = Array.from({ length: 5 }, (_, i) => forwarder.forward(to, 'kv.put', { key: `k${i}` }));
    await until(() => l.open === 2);
    expect(forwarder.load(to)).toEqual({ inFlight: 2, waiting: 3 });
    // The sixth is refused at once, and never reaches the leader.
    const refused = await forwarder.forward(to, 'kv.put', { key: 'k5' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StoreError);
    expect((refused as StoreError).code).toBe('UNAVAILABLE');
    expect((refused as StoreError).message).toContain('2 requests in flight and 3 waiting to be forwarded to leader node 2, its limit');
    expect((refused as StoreError).data).toMatchObject({ leaderHint: 2, retryAfterMs: 50 });
    // Released one at a time, the waiting calls go through in order, never more than two at once.
    while (l.received < 5 || l.held.length > 0) {
      await until(() => l.held.length > 0);
      l.held.shift()!();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await Promise.all(calls)).toEqual([0, 1, 2, 3, 4].map((i) => ({ echoed: `k${i}` })));
    expect(l.maxOpen).toBe(2);
    expect(l.received).toBe(5);
    expect(forwarder.forwardedTotal).toBe(5);
    expect(forwarder.load(to)).toEqual({ inFlight: 0, waiting: 0 });
  });

  it('sends queries as POST with the input in the body: a getMany of 1000 keys does not fit in a URL', async () => {
    leader = await standInLeader();
    const l = leader;
    const forwarder = new TrpcForwarder(() => l.address, 10_000);
    const keys = Array.from({ length: 1000 }, (_, i) => `some/longish/key/number/${i}/${'x'.repeat(20)}`);
    const call = forwarder.forward(nodeId(2), 'kv.getMany', { key: 'many', keys });
    await until(() => l.held.length === 1);
    l.held.shift()!();
    expect(await call).toEqual({ echoed: 'many' });
    expect(l.requests).toHaveLength(1);
    expect(l.requests[0]!.method).toBe('POST');
    expect(l.requests[0]!.url).toBe('/trpc/kv.getMany');
    expect(l.requests[0]!.bodyBytes).toBeGreaterThan(50_000);
  });

  it('a call whose timeout passes while it waits for a slot fails UNAVAILABLE; the line empties', async () => {
    leader = await standInLeader();
    const l = leader;
    const forwarder = new TrpcForwarder(() => l.address, 300, { inFlightMax: 1, queuedMax: 10 });
    const to = nodeId(3);
    const first = forwarder.forward(to, 'kv.put', { key: 'slow' }).catch((e: unknown) => e);
    await until(() => l.open === 1);
    const waiting = [1, 2, 3].map((i) => forwarder.forward(to, 'kv.put', { key: `late${i}` }).catch((e: unknown) => e));
    expect(forwarder.load(to)).toEqual({ inFlight: 1, waiting: 3 });
    // The leader never answers: every call ends by its timeout, each handing its slot on.
    for (const outcome of [await first, ...(await Promise.all(waiting))]) {
      expect(outcome).toBeInstanceOf(StoreError);
      expect((outcome as StoreError).code).toBe('UNAVAILABLE');
    }
    expect(forwarder.load(to)).toEqual({ inFlight: 0, waiting: 0 });
  });
});
