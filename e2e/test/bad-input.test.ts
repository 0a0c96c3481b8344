/**
 * Bad input against a real node: malformed and oversized HTTP requests, unknown procedures and
 * wrong types get typed errors; a stranger on the peer port (garbage, an oversized frame, another
 * cluster's handshake) gets its connection closed. After each, the node keeps serving.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessCluster } from '../src/process-cluster';
import { ringkvCode, trpcPost, trpcQuery } from '../src/trpc-http';

let c: ProcessCluster;

beforeAll(async () => {
  c = await ProcessCluster.create({ partitions: 4 });
  c.startAll();
  await c.waitAllReady(90_000);
});

afterAll(async () => {
  await c?.destroy();
});

const session = (seq: number) => ({ clientId: 'bad-input-test', seq });

/**
 * A write and a linearizable read through node 1 succeed. Like any client, it retries answers
 * that say "try again" (503 UNAVAILABLE / 412 NOT_LEADER while leaderships move on a loaded
 * machine) with the same session seq, within a deadline; anything else fails the test.
 */
async function stillServes(): Promise<void> {
  const key = `alive/${Math.random()}`;
  const body = JSON.stringify({ key, value: { type: 'string', data: 'yes' }, session: session(Date.now()) });
  const deadline = Date.now() + 15_000;
  let put = await trpcPost(c.endpoint(1), 'kv.put', body);
  while ((put.status === 503 || put.status === 412) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    put = await trpcPost(c.endpoint(1), 'kv.put', body);
  }
  expect(put.status).toBe(200);
  let got = await trpcQuery(c.endpoint(1), 'kv.get', { key, consistency: 'linearizable' });
  while ((got.status === 503 || got.status === 412) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    got = await trpcQuery(c.endpoint(1), 'kv.get', { key, consistency: 'linearizable' });
  }
  expect((got.body as { result: { data: { entry: { value: { data: string } } } } }).result.data.entry.value.data).toBe('yes');
}

/** Writes `bytes` to node 1's peer port and resolves when the node closes the connection. */
async function peerPortClosesOn(bytes: Buffer): Promise<void> {
  const socket = net.connect(c.spec(1).peerPort, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.resume();
  socket.write(bytes);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the node kept a bad peer connection open')), 15_000);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function frame(payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length);
  return Buffer.concat([header, payload]);
}

function hello(from: number, to: number, clusterId: string): Buffer {
  const cluster = Buffer.from(clusterId);
  const out = Buffer.alloc(16 + cluster.length);
  out.write('RKVP', 0, 'latin1');
  out.writeUInt16BE(1, 4);
  out.writeUInt32BE(from, 6);
  out.writeUInt32BE(to, 10);
  out.writeUInt16BE(cluster.length, 14);
  cluster.copy(out, 16);
  return out;
}

describe('bad input', () => {
  it('answers a malformed JSON body with a typed BAD_REQUEST', async () => {
    const res = await trpcPost(c.endpoint(1), 'kv.put', '{"key": "k", "value":');
    expect(res.status).toBe(400);
    expect(ringkvCode(res.body)).toBe('BAD_REQUEST');
    await stillServes();
  });

  it('answers wrong types with BAD_REQUEST and an over-limit key with TOO_LARGE', async () => {
    const wrongType = await trpcPost(c.endpoint(1), 'kv.put', JSON.stringify({ key: 42, value: { type: 'string', data: 'x' }, session: session(1) }));
    expect(wrongType.status).toBe(400);
    expect(ringkvCode(wrongType.body)).toBe('BAD_REQUEST');
    const badValue = await trpcQuery(c.endpoint(1), 'kv.get', { key: 'k', consistency: 'sometimes' });
    expect(badValue.status).toBe(400);
    expect(ringkvCode(badValue.body)).toBe('BAD_REQUEST');
    const bigKey = await trpcPost(c.endpoint(1), 'kv.put', JSON.stringify({ key: 'k'.repeat(2_000), value: { type: 'string', data: 'x' }, session: session(2) }));
    expect(ringkvCode(bigKey.body)).toBe('TOO_LARGE');
    await stillServes();
  });

  it('refuses a body over the request size limit', async () => {
    const huge = JSON.stringify({ key: 'k', value: { type: 'string', data: 'x'.repeat(13 * 1024 * 1024) }, session: session(3) });
    const res = await trpcPost(c.endpoint(1), 'kv.put', huge);
    expect(res.status).toBe(413);
    expect(ringkvCode(res.body)).toBe('TOO_LARGE');
    await stillServes();
  });

  it('answers an unknown procedure with 404 (code BAD_REQUEST), and an unknown path with 404', async () => {
    const res = await trpcQuery(c.endpoint(1), 'kv.nope', {});
    expect(res.status).toBe(404);
    expect(ringkvCode(res.body)).toBe('BAD_REQUEST');
    expect(JSON.stringify(res.body)).not.toContain('"stack"'); // no stack traces leak to clients
    const other = await fetch(`http://${c.endpoint(1)}/nowhere`);
    expect(other.status).toBe(404);
    await stillServes();
  });

  it('closes peer connections that speak garbage, announce an oversized frame, or belong to another cluster', async () => {
    await peerPortClosesOn(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await peerPortClosesOn(frame(Buffer.from('definitely not a handshake')));
    await peerPortClosesOn(Buffer.concat([frame(hello(2, 1, 'e2e')), Buffer.from([0xff, 0xff, 0xff, 0xff])]));
    await peerPortClosesOn(frame(hello(2, 1, 'someone-else')));
    await peerPortClosesOn(frame(hello(9, 1, 'e2e')));
    // The node says why in its log (which reaches us through a pipe, so give it a moment).
    for (const reason of ['does not match this node', 'is not a member of this cluster', 'over the limit', 'wrong magic']) {
      const deadline = Date.now() + 10_000;
      while (!c.logs(1).includes(reason) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(c.logs(1)).toContain(reason);
    }
    await stillServes();
    const ready = await fetch(`http://${c.endpoint(1)}/readyz`);
    expect(ready.status).toBe(200);
  });

  it('serves /healthz, /readyz and Prometheus /metrics', async () => {
    expect((await fetch(`http://${c.endpoint(2)}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`http://${c.endpoint(2)}/metrics`)).text();
    expect(metrics).toContain('ringkv_peer_frames_sent_total');
    expect(metrics).toContain('ringkv_partitions_hosted 4');
    expect(metrics).toContain('ringkv_http_request_duration_seconds_bucket');
  });
});
