/**
 * A prefix watch through the SDK on a cluster where no node hosts every partition (four nodes,
 * replication factor 3): one subscription per partition, events of every partition merged, each
 * partition resumed from its own revision when the node serving it stops, and a later watch
 * resumed from cursor() without repeats.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@ringkv/client';
import type { RingKVClient, WatchEvent, WatchIterator } from '@ringkv/client';
import type { Member } from '../src/config/initial-cluster';
import type { ServerConfig } from '../src/config/server-config';
import { startNode } from '../src/node';
import { freePorts, waitFor } from './wait';
import type { RunningNode } from '../src/node';

const PARTITIONS = 8;
const root = mkdtempSync(join(tmpdir(), 'ringkv-prefix-watch-'));
const logger = pino({ level: 'silent' });
const nodes = new Map<number, RunningNode>();
let client: RingKVClient;

const hasLeader = (p: number) => [...nodes.values()].some((n) => n.store.status().partitions.some((q) => q.partition === p && q.role === 'leader'));

beforeAll(async () => {
  const members: Member[] = [];
  for (const id of [1, 2, 3, 4]) {
    const host = `127.0.0.${id}`;
    const [peerPort, apiPort] = await freePorts(host, 2);
    members.push({ id, peer: { host, port: peerPort! }, api: { host, port: apiPort! } });
  }
  const configs: ServerConfig[] = members.map((m) => ({
    id: m.id,
    dataDir: join(root, `node-${m.id}`),
    listen: m.api,
    peerListen: m.peer,
    members,
    partitions: PARTITIONS,
    replicationFactor: 3,
    clusterId: 'prefix-watch',
    logLevel: 'silent',
    tickMs: 20,
    shutdownHandoffMs: 2_000,
    logMemoryMb: 256,
    cacheMb: 64,
  }));
  await Promise.all(configs.map(async (config) => nodes.set(config.id, await startNode(config, logger))));
  await waitFor('a leader for every partition', () => ([...Array(PARTITIONS).keys()].every(hasLeader) ? true : undefined));
  client = createClient({ endpoints: members.map((m) => `${m.api.host}:${m.api.port}`), deadlineMs: 15_000, attemptTimeoutMs: 2_000 });
}, 60_000);

afterAll(async () => {
  await client?.close();
  await Promise.all([...nodes.values()].map((n) => n.stop()));
  rmSync(root, { recursive: true, force: true });
});

/** One new key per partition under `prefix`. */
async function keyPerPartition(prefix: string): Promise<string[]> {
  const out: Array<string | undefined> = new Array(PARTITIONS).fill(undefined);
  for (let i = 0; out.some((k) => k === undefined); i++) {
    const key = `${prefix}${i}`;
    const p = (await client.partitionOf(key))!;
    out[p] ??= key;
  }
  return out as string[];
}

async function take(iterator: WatchIterator, count: number): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  while (events.length < count) {
    const next = await iterator.next();
    if (next.done === true) throw new Error('the watch ended');
    events.push(next.value);
  }
  return events;
}

describe('prefix watch across partitions no node holds all of', () => {
  it('merges every partition, survives a node stopping, and resumes from its cursor', async () => {
    // The premise: some node lacks some partition, so one node could not serve the whole prefix.
    expect(Math.min(...[...nodes.values()].map((n) => n.store.status().partitions.length))).toBeLessThan(PARTITIONS);

    const watch = client.watch({ prefix: 'pw/' });
    // Started "from now": writes made after watch() are delivered once its subscriptions stand.
    await waitFor('the watch to fix its start in every partition', () => (watch.cursor() !== undefined ? true : undefined));
    expect(Object.keys(watch.cursor()!)).toHaveLength(PARTITIONS);
    const first = await keyPerPartition('pw/a');
    await Promise.all(first.map((k) => client.put(k, 'one')));
    const firstEvents = await take(watch, PARTITIONS);
    expect(firstEvents.map((e) => e.key).sort()).toEqual([...first].sort());
    expect(new Set(firstEvents.map((e) => e.partition)).size).toBe(PARTITIONS);

    // Stop a node that serves some of the subscriptions (the leader of partition 0, where the
    // SDK subscribes first): its partitions resume on other replicas from their own revisions.
    const victim = [...nodes.values()].find((n) => n.store.status().partitions.some((q) => q.partition === 0 && q.role === 'leader'))!;
    expect(victim.store.stats().watchers).toBeGreaterThan(0);
    nodes.delete(victim.store.nodeId);
    await victim.stop();
    await waitFor('leaders after the stop', () => ([...Array(PARTITIONS).keys()].every(hasLeader) ? true : undefined));
    const second = await keyPerPartition('pw/b');
    await Promise.all(second.map((k) => client.put(k, 'two')));
    const secondEvents = await take(watch, PARTITIONS);
    expect(secondEvents.map((e) => e.key).sort()).toEqual([...second].sort());
    for (const e of secondEvents) {
      const before = firstEvents.find((f) => f.partition === e.partition)!;
      expect(e.modRevision).toBeGreaterThan(before.modRevision);
    }

    // The cursor names, per partition, the revision of its last event (revisions are per partition).
    const cursor = watch.cursor()!;
    for (const e of secondEvents) expect(cursor[e.partition]).toEqual({ fromRevision: e.modRevision, skip: 1 });
    await watch.return!();

    const third = await keyPerPartition('pw/c');
    await Promise.all(third.map((k) => client.put(k, 'three')));
    const resumed = client.watch({ prefix: 'pw/', cursor });
    const resumedEvents = await take(resumed, PARTITIONS);
    // Nothing already seen comes again: exactly the writes made after the cursor.
    expect(resumedEvents.map((e) => e.key).sort()).toEqual([...third].sort());
    await resumed.return!();
  }, 60_000);
});
