/**
 * Read answers have a size limit: getMany refuses with TOO_LARGE past ANSWER_BYTES_MAX of keys
 * and values, and a scan page stops at its byte budget and says where it stopped (resumeAfter),
 * so a page of large values is bounded and a scan still visits every key exactly once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { compareBytes, utf8Decode, utf8Encode } from '@ringkv/stdx';
import { ANSWER_BYTES_MAX, StoreError } from '../src';
import type { ScanPartitionResult, Store } from '../src';
import { TestCluster } from './cluster';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

async function setup(): Promise<TestCluster> {
  cluster = await TestCluster.create({});
  await cluster.waitForPreferredLeaders();
  return cluster;
}

let seq = 0;
const session = () => ({ clientId: 'reader-test', seq: ++seq });
const MIB = 1024 * 1024;

async function caught(p: Promise<unknown>): Promise<StoreError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreError);
  return error as StoreError;
}

describe('read answer limits', () => {
  it('getMany reads keys of one partition in order, null for absent ones, and refuses past ANSWER_BYTES_MAX', async () => {
    const c = await setup();
    const leader = c.leaderOf(2);
    const big = new Uint8Array(MIB - 64).fill(7);
    const keys = Array.from({ length: 17 }, () => c.keyIn(2, 'big/'));
    for (const key of keys) await c.drive(leader.put({ key, value: big, session: session() }));
    const absent = c.keyIn(2, 'none/');

    const some = await c.drive(leader.getMany([keys[0]!, absent, keys[1]!], { consistency: 'linearizable' }));
    expect(some.partition).toBe(2);
    expect(some.records.map((r) => (r === null ? null : (r.value as Uint8Array).length))).toEqual([MIB - 64, null, MIB - 64]);

    // 16 values of 1 MiB - 64 and their keys fit; 17 do not.
    const sixteen = await c.drive(leader.getMany(keys.slice(0, 16), { consistency: 'linearizable' }));
    expect(sixteen.records.every((r) => r !== null)).toBe(true);
    const refused = await caught(c.drive(leader.getMany(keys, { consistency: 'linearizable' })));
    expect(refused.code).toBe('TOO_LARGE');
    expect(refused.message).toContain(`more than ${ANSWER_BYTES_MAX} bytes of keys and values`);
    expect(refused.message).toContain('ask for fewer keys at once');

    const mixed = await caught(c.drive(leader.getMany([keys[0]!, c.keyIn(3)], { consistency: 'linearizable' })));
    expect(mixed.code).toBe('BAD_REQUEST');
    expect(mixed.message).toContain('one partition');
    expect((await caught(c.drive(leader.getMany([], { consistency: 'linearizable' })))).code).toBe('BAD_REQUEST');
    // Only the leader serves it at linearizable.
    const follower = c.running().find((s) => s !== leader)!;
    expect((await caught(c.drive(follower.getMany([keys[0]!], { consistency: 'linearizable' })))).code).toBe('NOT_LEADER');
  });

  it('a scan page stops at its byte budget, says where, and paging by resumeAfter visits every key once', async () => {
    const c = await setup();
    const leader = c.leaderOf(1);
    const value = 'x'.repeat(1000);
    const keys = Array.from({ length: 40 }, () => c.keyIn(1, 'p/'));
    // A few keys expire: their bytes count against the budget, they are not returned.
    for (const [i, key] of keys.entries()) await c.drive(leader.put({ key, value, ...(i % 7 === 3 ? { ttlMs: 100 } : {}), session: session() }));
    await c.runFor(150);
    const live = keys.filter((_, i) => i % 7 !== 3).map(utf8Decode).sort();

    const seen: string[] = [];
    let after: Uint8Array | undefined;
    let pages = 0;
    for (;;) {
      const page: ScanPartitionResult = await c.drive(
        leader.scanPartition({ partition: 1, prefix: utf8Encode('p/'), ...(after === undefined ? {} : { after }), limit: 1000, bytesMax: 5000, consistency: 'linearizable' }),
      );
      pages++;
      // Each record is ~1005 bytes: a page reads 5 records (the 5th reaches 5000) and stops.
      expect(page.items.length).toBeLessThanOrEqual(5);
      for (const item of page.items) seen.push(utf8Decode(item.key));
      if (page.resumeAfter === undefined) break;
      const last = page.items[page.items.length - 1];
      if (last !== undefined) expect(compareBytes(page.resumeAfter, last.key)).toBeGreaterThanOrEqual(0);
      after = page.resumeAfter;
    }
    expect(seen).toEqual(live);
    // 5 records a page: the live ones, and the expired ones the background has not deleted yet.
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(live.length / 5));
    expect(pages).toBeLessThanOrEqual(8);
  });

  it('a scan page holds at least one record however small the budget, and refuses a budget out of range', async () => {
    const c = await setup();
    const leader: Store = c.leaderOf(0);
    const keys = [c.keyIn(0, 'q/'), c.keyIn(0, 'q/')];
    for (const key of keys) await c.drive(leader.put({ key, value: 'vv', session: session() }));
    const first = await c.drive(leader.scanPartition({ partition: 0, prefix: utf8Encode('q/'), limit: 10, bytesMax: 1, consistency: 'linearizable' }));
    expect(first.items).toHaveLength(1);
    expect(first.resumeAfter).toEqual(first.items[0]!.key);
    // A page cut by its count also says where it stopped; one that reached the end does not.
    const byCount = await c.drive(leader.scanPartition({ partition: 0, prefix: utf8Encode('q/'), limit: 1, consistency: 'linearizable' }));
    expect(byCount.resumeAfter).toEqual(byCount.items[0]!.key);
    const all = await c.drive(leader.scanPartition({ partition: 0, prefix: utf8Encode('q/'), limit: 10, consistency: 'linearizable' }));
    expect(all.items).toHaveLength(2);
    expect(all.resumeAfter).toBeUndefined();
    for (const bytesMax of [0, ANSWER_BYTES_MAX + 1, 1.5]) {
      const error = await caught(c.drive(leader.scanPartition({ partition: 0, prefix: utf8Encode('q/'), limit: 10, bytesMax, consistency: 'linearizable' })));
      expect(error.code).toBe('BAD_REQUEST');
    }
  });
});
