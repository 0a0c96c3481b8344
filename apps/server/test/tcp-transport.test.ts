import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeId } from '@ringkv/stdx';
import { TcpTransport } from '../src/transport';
import type { HostPort } from '../src/config/address';
import { FrameDecoder, FrameTooLargeError, encodeFrameHeader } from '../src/transport/frame-decoder';
import { encodeHello } from '../src/transport/handshake';
import { LogCapture } from './log-capture';
import { freePorts } from './wait';

const open: TcpTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});


async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface Node {
  transport: TcpTransport;
  logs: LogCapture;
  received: Array<{ from: number; bytes: number[] }>;
}

async function startNode(id: number, ports: ReadonlyMap<number, number>, overrides: { clusterId?: string; frameSizeBytesMax?: number; inboundConnectionsMax?: number } = {}): Promise<Node> {
  const logs = new LogCapture();
  const peers = new Map<number, HostPort>();
  for (const [peer, port] of ports) if (peer !== id) peers.set(peer, { host: '127.0.0.1', port });
  const transport = new TcpTransport({
    nodeId: id,
    clusterId: overrides.clusterId ?? 'test-cluster',
    listen: { host: '127.0.0.1', port: ports.get(id)! },
    peers,
    logger: logs,
    reconnectMinMs: 20,
    reconnectMaxMs: 200,
    frameSizeBytesMax: overrides.frameSizeBytesMax ?? 1024 * 1024,
    ...(overrides.inboundConnectionsMax === undefined ? {} : { inboundConnectionsMax: overrides.inboundConnectionsMax }),
  });
  const received: Node['received'] = [];
  transport.onReceive((from, frame) => received.push({ from, bytes: [...frame] }));
  await transport.start();
  open.push(transport);
  return { transport, logs, received };
}

async function portsFor(ids: number[]): Promise<Map<number, number>> {
  const free = await freePorts('127.0.0.1', ids.length);
  return new Map(ids.map((id, i) => [id, free[i]!]));
}

const n = (id: number) => id as NodeId;

describe('FrameDecoder', () => {
  it('reassembles frames split at every byte boundary and rejects an oversized header', () => {
    const payloads = [Buffer.from([1, 2, 3]), Buffer.alloc(0), Buffer.from('hello')];
    const wire = Buffer.concat(payloads.flatMap((p) => [encodeFrameHeader(p.length), p]));
    for (let split = 0; split <= wire.length; split++) {
      const decoder = new FrameDecoder(100);
      const out: Buffer[] = [];
      const drain = () => {
        for (let frame = decoder.next(); frame !== undefined; frame = decoder.next()) out.push(frame);
      };
      decoder.push(wire.subarray(0, split));
      drain();
      decoder.push(wire.subarray(split));
      drain();
      expect(out.map((b) => [...b])).toEqual(payloads.map((p) => [...p]));
    }
    const decoder = new FrameDecoder(100);
    decoder.push(encodeFrameHeader(101));
    expect(() => decoder.next()).toThrow(FrameTooLargeError);
  });
});

describe('TcpTransport', () => {
  it('exchanges frames both ways on loopback, in order', async () => {
    const ports = await portsFor([1, 2]);
    const a = await startNode(1, ports);
    const b = await startNode(2, ports);
    await waitFor('both links up', () => a.transport.isReachable(n(2)) && b.transport.isReachable(n(1)));
    for (let i = 0; i < 100; i++) a.transport.send(n(2), new Uint8Array([i, i + 1]));
    b.transport.send(n(1), new Uint8Array([42]));
    await waitFor('frames delivered', () => b.received.length === 100 && a.received.length === 1);
    expect(b.received.map((r) => r.bytes[0])).toEqual([...Array(100).keys()]);
    expect(b.received.every((r) => r.from === 1)).toBe(true);
    expect(a.received).toEqual([{ from: 2, bytes: [42] }]);
    // A frame for a node that is not a member is dropped, not thrown.
    expect(() => a.transport.send(n(9), new Uint8Array([1]))).not.toThrow();
  });

  it('refuses a node from another cluster, and says why on both sides', async () => {
    const ports = await portsFor([1, 2]);
    const a = await startNode(1, ports, { clusterId: 'alpha' });
    const b = await startNode(2, ports, { clusterId: 'beta' });
    await waitFor('refusals logged', () => a.logs.find('does not match').length > 0 && b.logs.find('does not match').length > 0);
    expect(a.transport.isReachable(n(2))).toBe(false);
    expect(b.transport.isReachable(n(1))).toBe(false);
    a.transport.send(n(2), new Uint8Array([1]));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(b.received).toEqual([]);
    // A refused peer is logged once, not on every reconnect attempt.
    expect(a.logs.find('peer refused our connection').length).toBe(1);
  });

  it('refuses a caller that expected another node id at this address', async () => {
    const ports = await portsFor([1, 2]);
    const a = await startNode(1, ports);
    const socket = net.connect(ports.get(1)!, '127.0.0.1');
    socket.resume(); // read, so the peer's close is seen
    const hello = encodeHello({ from: 2, to: 3, clusterId: 'test-cluster' });
    socket.write(Buffer.concat([encodeFrameHeader(hello.length), hello]));
    await new Promise((resolve) => socket.on('close', resolve));
    expect(a.logs.find('expected node 3').length).toBe(1);
  });

  it('closes a connection that announces an oversized frame or speaks garbage, and keeps serving', async () => {
    const ports = await portsFor([1, 2]);
    const a = await startNode(1, ports, { frameSizeBytesMax: 1000 });
    const b = await startNode(2, ports, { frameSizeBytesMax: 1000 });
    await waitFor('link up', () => b.transport.isReachable(n(1)));

    const garbage = net.connect(ports.get(1)!, '127.0.0.1');
    garbage.resume(); // read, so the peer's close is seen
    garbage.on('error', () => undefined);
    garbage.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => garbage.on('close', resolve));
    expect(a.logs.find('not a RingKV peer').length).toBe(1);

    const shortGarbage = net.connect(ports.get(1)!, '127.0.0.1');
    shortGarbage.resume(); // read, so the peer's close is seen
    shortGarbage.on('error', () => undefined);
    shortGarbage.write(Buffer.concat([encodeFrameHeader(4), Buffer.from('oops')]));
    await new Promise((resolve) => shortGarbage.on('close', resolve));
    expect(a.logs.find('wrong magic').length).toBe(1);

    // A real peer announcing a frame over the limit after a good handshake is disconnected too.
    const liar = net.connect(ports.get(1)!, '127.0.0.1');
    liar.resume(); // read, so the peer's close is seen
    liar.on('error', () => undefined);
    const hello = encodeHello({ from: 2, to: 1, clusterId: 'test-cluster' });
    liar.write(Buffer.concat([encodeFrameHeader(hello.length), hello, encodeFrameHeader(5_000)]));
    await new Promise((resolve) => liar.on('close', resolve));
    expect(a.logs.find('over the limit of 1000 bytes').length).toBe(1);

    // The oversized frame is dropped at the sender as well, without harming the link.
    b.transport.send(n(1), new Uint8Array(2_000));
    b.transport.send(n(1), new Uint8Array([7]));
    await waitFor('node 1 still serving', () => a.received.length === 1);
    expect(a.received[0]).toEqual({ from: 2, bytes: [7] });
  });

  it('closes inbound connections past its limit: strangers that never handshake cannot crowd out peers', async () => {
    const ports = await portsFor([1, 2]);
    const a = await startNode(1, ports, { inboundConnectionsMax: 3 });
    // Three silent connections take every slot (each would live until the handshake timeout).
    const silent = await Promise.all(
      [1, 2, 3].map(
        () =>
          new Promise<net.Socket>((resolve) => {
            const s = net.connect(ports.get(1)!, '127.0.0.1', () => resolve(s));
            s.on('error', () => undefined);
          }),
      ),
    );
    await new Promise((r) => setTimeout(r, 50));
    const fourth = net.connect(ports.get(1)!, '127.0.0.1');
    fourth.on('error', () => undefined);
    fourth.resume();
    // Closed on arrival, not by the handshake timeout (5 s here).
    const closedEarly = await Promise.race([new Promise((resolve) => fourth.on('close', () => resolve(true))), new Promise((resolve) => setTimeout(() => resolve(false), 1_000))]);
    expect(closedEarly).toBe(true);
    // Once one leaves, a real peer gets in and frames flow.
    silent[0]!.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const b = await startNode(2, ports);
    await waitFor('link up', () => b.transport.isReachable(n(1)));
    b.transport.send(n(1), new Uint8Array([9]));
    await waitFor('frame through', () => a.received.length === 1);
    for (const s of silent) s.destroy();
  });

  it('drops frames while a peer is down and reconnects after it restarts', async () => {
    const ports = await portsFor([1, 2]);
    const a = await startNode(1, ports);
    let b = await startNode(2, ports);
    await waitFor('link up', () => a.transport.isReachable(n(2)));
    await b.transport.close();
    await waitFor('link down', () => !a.transport.isReachable(n(2)));
    const droppedBefore = a.transport.stats.framesDropped;
    for (let i = 0; i < 10; i++) a.transport.send(n(2), new Uint8Array([i]));
    expect(a.transport.stats.framesDropped).toBeGreaterThan(droppedBefore);

    b = await startNode(2, ports);
    await waitFor('link back up', () => a.transport.isReachable(n(2)));
    a.transport.send(n(2), new Uint8Array([99]));
    await waitFor('delivered after restart', () => b.received.length === 1);
    expect(b.received[0]).toEqual({ from: 1, bytes: [99] });
  });

  it('reconnects at once when the restarted peer dials in, instead of waiting out a long backoff', async () => {
    const ports = await portsFor([1, 2]);
    const logs = new LogCapture();
    const a = new TcpTransport({
      nodeId: 1,
      clusterId: 'test-cluster',
      listen: { host: '127.0.0.1', port: ports.get(1)! },
      peers: new Map([[2, { host: '127.0.0.1', port: ports.get(2)! }]]),
      logger: logs,
      reconnectMinMs: 60_000,
      reconnectMaxMs: 60_000,
    });
    await a.start();
    open.push(a);
    await waitFor('the first dial to fail', () => logs.find('peer unreachable').length > 0);
    const b = await startNode(2, ports);
    await waitFor('both directions up', () => b.transport.isReachable(n(1)) && a.isReachable(n(2)), 5_000);
  });

  it('bounds the per-peer queue: a flood is partly dropped, never thrown, and memory stays bounded', async () => {
    const ports = await portsFor([1, 2]);
    const logs = new LogCapture();
    const transport = new TcpTransport({
      nodeId: 1,
      clusterId: 'c',
      listen: { host: '127.0.0.1', port: ports.get(1)! },
      peers: new Map([[2, { host: '127.0.0.1', port: ports.get(2)! }]]),
      logger: logs,
      queueFramesMax: 10,
    });
    await transport.start();
    open.push(transport);
    // Node 2 is not listening: the first frames queue while connecting, the rest are dropped.
    for (let i = 0; i < 1000; i++) transport.send(n(2), new Uint8Array([1]));
    expect(transport.stats.framesDropped).toBeGreaterThanOrEqual(990);
  });
});
