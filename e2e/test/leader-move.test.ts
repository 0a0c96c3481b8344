/**
 * Three real node processes. A client's placement names leaders that have since moved (a node
 * stopped, its partitions led elsewhere, then the node came back and took its preferred
 * partitions back): the node the client still sends to forwards the first call and names the
 * leader on its answer, and the client sends every later call straight to that leader instead of
 * through the old one until its placement ages out.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from '@ringkv/client';
import type { RingKVClient } from '@ringkv/client';
import { ProcessCluster } from '../src/process-cluster';
import { trpcQuery } from '../src/trpc-http';

let cluster: ProcessCluster | undefined;
let client: RingKVClient | undefined;

afterAll(async () => {
  await client?.close();
  await cluster?.destroy();
});

interface PlacementView {
  groups: Array<{ partition: number; replicas: number[]; leader: number | null }>;
}

async function placement(c: ProcessCluster, id: number): Promise<PlacementView> {
  const res = await trpcQuery(c.endpoint(id), 'cluster.placement', undefined);
  expect(res.status).toBe(200);
  return (res.body as { result: { data: PlacementView } }).result.data;
}

/** Waits until every partition is led by its preferred node (the first of its replicas), as node `id` sees it. */
async function preferredLeaders(c: ProcessCluster, id: number): Promise<PlacementView> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const view = await placement(c, id);
    if (view.groups.every((g) => g.leader === g.replicas[0])) return view;
    if (Date.now() > deadline) throw new Error(`partitions not on their preferred leaders: ${JSON.stringify(view.groups)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until nodes `ids` each see a leader for every partition, and the same one. */
async function everyPartitionLed(c: ProcessCluster, ids: readonly number[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const views = await Promise.all(ids.map((id) => placement(c, id)));
    const leaders = views.map((v) => v.groups.map((g) => g.leader).join(','));
    if (views.every((v) => v.groups.every((g) => g.leader !== null)) && leaders.every((l) => l === leaders[0])) return;
    if (Date.now() > deadline) throw new Error(`partitions without an agreed leader: ${JSON.stringify(views.map((v) => v.groups))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Requests every node forwarded to a leader so far (their /metrics). */
async function forwardedTotal(c: ProcessCluster): Promise<number> {
  let sum = 0;
  for (const spec of c.specs) {
    const text = await (await fetch(`http://${c.endpoint(spec.id)}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
    const m = /^ringkv_forwarded_requests_total (\d+)/m.exec(text);
    expect(m).not.toBeNull();
    sum += Number(m![1]);
  }
  return sum;
}

describe('leaders that moved', () => {
  it('reach the client through the first forwarded answer, not after its placement ages out', async () => {
    const c = await ProcessCluster.create({ partitions: 8 });
    cluster = c;
    c.startAll();
    await c.waitAllReady(90_000);
    const before = await preferredLeaders(c, 1);
    const victim = 3;
    const moved = before.groups.filter((g) => g.leader === victim).map((g) => g.partition);
    expect(moved.length).toBeGreaterThan(0);
    // A clean stop hands the victim's leaderships away.
    expect(await c.stop(victim)).toBe(0);
    const others = c.specs.map((s) => s.id).filter((id) => id !== victim);
    await everyPartitionLed(c, others);
    // The client loads its placement now, naming the interim leaders, and never reloads it: it
    // ages in 10 minutes, it names a leader for every partition (a placement missing one is
    // reloaded every second), and no call fails. Only answers can teach this client.
    client = createClient({ endpoints: others.map((id) => c.endpoint(id)), deadlineMs: 10_000, attemptTimeoutMs: 1_000, router: { placementMaxAgeMs: 600_000 } });
    const keys = new Map<number, string>();
    for (let i = 0; keys.size < before.groups.length && i < 100_000; i++) {
      const p = await client.partitionOf(`move/${i}`);
      if (p !== undefined && !keys.has(p)) keys.set(p, `move/${i}`);
    }
    for (const p of moved) await client.put(keys.get(p)!, 'while-stopped');

    // Back: it takes its preferred partitions again, so the client's placement is now wrong for them.
    c.start(victim);
    await c.waitReady(victim, 60_000);
    await preferredLeaders(c, 1);

    const rounds = 5;
    const forwardedBefore = await forwardedTotal(c);
    for (let r = 0; r < rounds; r++) for (const p of moved) await client.put(keys.get(p)!, `after-${r}`);
    const forwarded = (await forwardedTotal(c)) - forwardedBefore;
    console.log(`after ${moved.length} partitions moved back to node ${victim}: ${forwarded} of ${rounds * moved.length} puts forwarded`);
    // One forwarded put per moved partition teaches the client its leader; the rest go direct
    // (without the lesson all of them are forwarded; none would mean the client learned another way).
    expect(forwarded).toBeGreaterThan(0);
    expect(forwarded).toBeLessThanOrEqual(moved.length);
    for (const p of moved) expect((await client.get(keys.get(p)!))?.value).toBe(`after-${rounds - 1}`);
  });
});
