import { describe, expect, it } from 'vitest';
import { nodeId, Prng, type NodeId } from '@ringkv/stdx';
import { Scheduler } from '../src/scheduler';
import { SimNetwork, type NetworkFaults } from '../src/sim-network';

const n1 = nodeId(1);
const n2 = nodeId(2);
const n3 = nodeId(3);

/** Node 1 sends `count` pings to node 2, one per ms; node 2 echoes each. Returns the pongs node 1 saw. */
async function pingPong(seed: number, faults: NetworkFaults, count = 200): Promise<{ pongs: number[]; net: SimNetwork; digest: string }> {
  const s = new Scheduler();
  const net = new SimNetwork(s, new Prng(seed).fork('net'), faults);
  const a = net.attach(n1);
  const b = net.attach(n2);
  const pongs: number[] = [];
  b.onReceive((from, frame) => b.send(from, frame));
  a.onReceive((_from, frame) => pongs.push(frame[0]! | (frame[1]! << 8)));
  for (let i = 0; i < count; i++) s.after(i, 'ping', () => a.send(n2, Uint8Array.of(i & 0xff, i >> 8)));
  await s.runUntil(10_000);
  return { pongs, net, digest: s.traceDigest() };
}

const lossy: NetworkFaults = { dropRate: 0.1, duplicateRate: 0.1, delayMsMin: 1, delayMsMax: 30, longDelayRate: 0.02 };

describe('SimNetwork', () => {
  it('delivers every frame exactly once, in order, on a calm network', async () => {
    const { pongs } = await pingPong(1, { dropRate: 0, duplicateRate: 0, delayMsMin: 5, delayMsMax: 5, longDelayRate: 0 });
    expect(pongs).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('drops, duplicates and reorders frames when faulty, and only delivers frames that were sent', async () => {
    const { pongs, net } = await pingPong(7, lossy);
    expect(net.stats.dropped).toBeGreaterThan(0);
    expect(net.stats.duplicated).toBeGreaterThan(0);
    const unique = new Set(pongs);
    expect(unique.size).toBeLessThan(200);
    expect(pongs.length).toBeGreaterThan(unique.size);
    expect(pongs.some((p, i) => i > 0 && p < pongs[i - 1]!)).toBe(true);
    for (const p of pongs) expect(p).toBeLessThan(200);
  });

  it('replays the same seed identically and a different seed differently', async () => {
    const a = await pingPong(42, lossy);
    const b = await pingPong(42, lossy);
    const c = await pingPong(43, lossy);
    expect(a.pongs).toEqual(b.pongs);
    expect(a.digest).toBe(b.digest);
    expect(c.digest).not.toBe(a.digest);
  });

  it('copies frames: the receiver never sees later changes by the sender', async () => {
    const s = new Scheduler();
    const net = new SimNetwork(s, new Prng(1));
    const a = net.attach(n1);
    const b = net.attach(n2);
    const got: number[] = [];
    b.onReceive((_f, frame) => got.push(frame[0]!));
    const frame = Uint8Array.of(1);
    a.send(n2, frame);
    frame[0] = 99;
    await s.runUntil(100);
    expect(got).toEqual([1]);
  });

  it('cuts links one way, both ways and partially, and heals them', async () => {
    const s = new Scheduler();
    const net = new SimNetwork(s, new Prng(1));
    const got = new Map<NodeId, NodeId[]>();
    const ends = [n1, n2, n3].map((n) => {
      const t = net.attach(n);
      got.set(n, []);
      t.onReceive((from) => got.get(n)!.push(from));
      return [n, t] as const;
    });
    const all = (): void => {
      for (const [from, t] of ends) for (const [to] of ends) if (from !== to) t.send(to, Uint8Array.of(0));
    };
    net.cutOneWay(n1, n2);
    net.partition([[n3], [n1, n2]]);
    all();
    await s.runUntil(100);
    expect(got.get(n1)).toEqual([n2]);
    expect(got.get(n2)).toEqual([]);
    expect(got.get(n3)).toEqual([]);
    expect(ends[0]![1].isReachable(n2)).toBe(false);
    expect(ends[1]![1].isReachable(n1)).toBe(true);
    net.healAll();
    all();
    await s.runUntil(200);
    expect(got.get(n3)!.sort()).toEqual([n1, n2]);
  });

  it('loses frames in flight to a node that crashed and delivers nothing from its dead incarnation', async () => {
    const s = new Scheduler();
    const net = new SimNetwork(s, new Prng(1), { dropRate: 0, duplicateRate: 0, delayMsMin: 10, delayMsMax: 10, longDelayRate: 0 });
    const a = net.attach(n1);
    const b1 = net.attach(n2);
    const got: string[] = [];
    b1.onReceive(() => got.push('old'));
    a.send(n2, Uint8Array.of(0));
    s.after(5, 'crash', () => net.detach(n2));
    await s.runUntil(50);
    const b2 = net.attach(n2);
    b2.onReceive(() => got.push('new'));
    let fromOld = 0;
    a.onReceive(() => fromOld++);
    b1.send(n1, Uint8Array.of(0));
    a.send(n2, Uint8Array.of(0));
    await s.runUntil(100);
    expect(got).toEqual(['new']);
    expect(fromOld).toBe(0);
  });

  it('holds frames for a paused node until it resumes', async () => {
    const s = new Scheduler();
    const net = new SimNetwork(s, new Prng(1));
    let pausedUntil = 500;
    const pause = {
      get isPaused() {
        return s.nowMs < pausedUntil;
      },
      resumeAtSimMs: () => Math.max(pausedUntil, s.nowMs),
    };
    const a = net.attach(n1);
    const b = net.attach(n2, pause);
    const at: number[] = [];
    b.onReceive(() => at.push(s.nowMs));
    a.send(n2, Uint8Array.of(0));
    await s.runUntil(1000);
    pausedUntil = 0;
    expect(at).toEqual([500]);
  });
});
