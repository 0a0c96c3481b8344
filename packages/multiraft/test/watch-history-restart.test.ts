/** Watch history across a planned restart (watch-history-dump.ts), and what a crash still loses. */
import { afterEach, describe, expect, it } from 'vitest';
import { utf8Decode, utf8Encode } from '@ringkv/stdx';
import { openKvEngine, openMemoryDb } from '@ringkv/storage';
import { META_PARTITION, StoreError } from '../src';
import type { WatchEvent } from '../src';
import { loadWatchHistory, saveWatchHistory } from '../src/watch-history-dump';
import { WatchHub } from '../src/watch-hub';
import { TestCluster } from './cluster';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

let seq = 0;
const session = () => ({ clientId: 'history-test', seq: ++seq });
const collect = (events: WatchEvent[]) => ({ onEvent: (e: WatchEvent) => events.push(e), onError: (e: StoreError) => { throw e; } });
const text = (e: WatchEvent) => `${utf8Decode(e.key)}=${String(e.value)}@${e.modRevision}`;

/** A planned stop, as apps/server does it: stop, save the watch history, close. */
async function plannedStop(c: TestCluster, id: number): Promise<void> {
  const n = c.nodes.get(id)!;
  const store = n.store!;
  n.store = undefined;
  await store.stop();
  await store.saveWatchHistory();
  await c.net.transport(n.id).close();
  await n.logEngine!.close();
  await n.kvEngine!.close();
}

describe('watch history across a restart', () => {
  it('survives a planned restart, is lost by a crash, and is never reused stale', async () => {
    const c = (cluster = await TestCluster.create({ partitions: 1 }));
    await c.waitForPreferredLeaders();
    const followerId = c.followerIdOf(0);
    const put = async (key: string, value: string) => (await c.drive(c.leaderOf(0).put({ key: utf8Encode(key), value, session: session() }))).modRevision;
    const first = await put('h/a', '1');
    for (const [k, v] of [['h/b', '2'], ['h/a', '3'], ['h/c', '4']] as const) await put(k, v);
    await c.runFor(30);

    await plannedStop(c, followerId);
    await put('h/b', '5'); // while it is down
    const restarted = await c.start(followerId);
    const events: WatchEvent[] = [];
    const w = restarted.watch({ prefix: utf8Encode('h/'), fromRevision: first }, collect(events));
    // The saved history answers at once, from before the restart...
    expect(events.map(text).slice(0, 4)).toEqual([`h/a=1@${first}`, `h/b=2@${first + 1}`, `h/a=3@${first + 2}`, `h/c=4@${first + 3}`]);
    // ...and what it missed while down arrives as it catches up, once, in order.
    await c.runFor(100);
    await put('h/c', '6');
    await c.runFor(30);
    w.cancel();
    expect(events.map((e) => String(e.value))).toEqual(['1', '2', '3', '4', '5', '6']);
    const revisions = events.map((e) => e.modRevision);
    expect(revisions).toEqual([...revisions].sort((a, b) => a - b));

    // A crash saves nothing, and the dump read at the last start is gone: COMPACTED, as before.
    await c.stop(followerId);
    const again = await c.start(followerId);
    expect(() => again.watch({ prefix: utf8Encode('h/'), fromRevision: first }, collect([]))).toThrow(StoreError);
  });
});

describe('watch history dump', () => {
  async function setup() {
    const kv = await openKvEngine({ db: await openMemoryDb() });
    const hub = new WatchHub(100_000, 10);
    const p = 3;
    hub.reset(p, 10);
    const events: WatchEvent[] = [];
    for (let r = 11; r <= 2_600; r++) {
      const value = r % 3 === 0 ? new Uint8Array([r & 255, 1]) : r % 3 === 1 ? { n: r, list: [null, 'x'] } : `s${r}`;
      events.push(r % 7 === 0 ? { type: 'delete', partition: p, key: utf8Encode(`k${r}`), version: 0, modRevision: r } : { type: 'put', partition: p, key: utf8Encode(`k${r}`), value, version: r, modRevision: r });
    }
    hub.publish(p, events);
    await saveWatchHistory(kv, META_PARTITION, hub, [{ partition: p, kvApplied: 2_600 }]);
    return { kv, p, events };
  }

  it('restores every event as it was (bytes, JSON, strings, deletes; several chunks)', async () => {
    const { kv, p, events } = await setup();
    const hub = new WatchHub(100_000, 10);
    hub.reset(p, 2_600);
    expect(await loadWatchHistory(kv, META_PARTITION, hub, [{ partition: p, kvApplied: 2_600, logFirstIndex: 1 }])).toBe(1);
    expect(hub.historyOf(p)).toEqual({ startRevision: 11, events });
    // Read once: the dump is gone.
    expect(await loadWatchHistory(kv, META_PARTITION, new WatchHub(10, 10), [{ partition: p, kvApplied: 2_600, logFirstIndex: 1 }])).toBe(0);
    expect(await kv.get(META_PARTITION, utf8Encode('watch-history/3/0'))).toBeUndefined();
  });

  it('saves histories of large values in records under the value limit, and starts after an event too large for one', async () => {
    const kv = await openKvEngine({ db: await openMemoryDb() });
    const hub = new WatchHub(100_000, 1 << 30);
    const p = 5;
    hub.reset(p, 10);
    const big = (r: number, bytes: number): WatchEvent => ({ type: 'put', partition: p, key: utf8Encode(`k${r}`), value: 'v'.repeat(bytes), version: 1, modRevision: r });
    // 64 KiB values (what a 3 MB dump record was refused for), and one of 900 KiB at revision 30.
    const events = [...Array.from({ length: 19 }, (_, i) => big(11 + i, 64 * 1024)), big(30, 900 * 1024), ...Array.from({ length: 30 }, (_, i) => big(31 + i, 64 * 1024))];
    hub.publish(p, events);
    await saveWatchHistory(kv, META_PARTITION, hub, [{ partition: p, kvApplied: 60 }]);
    const restored = new WatchHub(100_000, 1 << 30);
    restored.reset(p, 60);
    expect(await loadWatchHistory(kv, META_PARTITION, restored, [{ partition: p, kvApplied: 60, logFirstIndex: 1 }])).toBe(1);
    expect(restored.historyOf(p)).toEqual({ startRevision: 31, events: events.slice(20) });
  });

  it('keeps only what is still true: up to a lower applied index, nothing past a gap, not below the log', async () => {
    const { kv, p } = await setup();
    const hub = new WatchHub(100_000, 10);
    hub.reset(p, 2_000);
    // Unsynced applies were lost: the node restarts at 2000; events up to there stay, the log replays the rest.
    await loadWatchHistory(kv, META_PARTITION, hub, [{ partition: p, kvApplied: 2_000, logFirstIndex: 500 }]);
    const restored = hub.historyOf(p)!;
    expect(restored.startRevision).toBe(500);
    expect(restored.events[0]!.modRevision).toBe(500);
    expect(restored.events.at(-1)!.modRevision).toBe(2_000);

    const { kv: kv2 } = await setup();
    const gap = new WatchHub(100_000, 10);
    gap.reset(p, 2_700);
    // Applied past the saved end (it ran on after saving, or took a snapshot): changes are missing.
    expect(await loadWatchHistory(kv2, META_PARTITION, gap, [{ partition: p, kvApplied: 2_700, logFirstIndex: 1 }])).toBe(0);
    expect(gap.historyOf(p)).toEqual({ startRevision: 2_701, events: [] });
    // A partition this node no longer hosts is skipped.
    const { kv: kv3 } = await setup();
    expect(await loadWatchHistory(kv3, META_PARTITION, new WatchHub(10, 10), [{ partition: p + 1, kvApplied: 2_600, logFirstIndex: 1 }])).toBe(0);
  });
});
