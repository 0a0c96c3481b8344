/**
 * The queue between the Store's watch callbacks and a subscription: bounded in events and in
 * bytes, a consumer that falls behind gets everything queued and then UNAVAILABLE naming the
 * first change it missed.
 */
import { describe, expect, it } from 'vitest';
import { StoreError } from '@ringkv/multiraft';
import type { WatchEvent } from '@ringkv/multiraft';
import { utf8Encode } from '@ringkv/stdx';
import { WATCH_QUEUE_BYTES_MAX, WATCH_QUEUE_EVENTS_MAX, WatchQueue, watchEventSizeBytes } from '../src/watch-queue';

const put = (rev: number, value: WatchEvent['value'] = 'v', partition = 3): WatchEvent => ({ type: 'put', partition, key: utf8Encode(`k${rev}`), value, version: 1, modRevision: rev });

async function drainAll(q: WatchQueue): Promise<{ revisions: number[]; error: unknown }> {
  const revisions: number[] = [];
  try {
    for await (const e of q.drain(undefined)) revisions.push(e.modRevision);
  } catch (error) {
    return { revisions, error };
  }
  return { revisions, error: undefined };
}

describe('watch queue', () => {
  it('defaults to 10 000 events and 64 MiB', () => {
    expect(WATCH_QUEUE_EVENTS_MAX).toBe(10_000);
    expect(WATCH_QUEUE_BYTES_MAX).toBe(64 * 1024 * 1024);
  });

  it('delivers in order, then ends with UNAVAILABLE at the first event over the count', async () => {
    const q = new WatchQueue(3);
    for (let rev = 1; rev <= 5; rev++) q.push(put(rev));
    const { revisions, error } = await drainAll(q);
    expect(revisions).toEqual([1, 2, 3]);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('UNAVAILABLE');
    expect((error as StoreError).message).toBe('the watcher fell more than 3 events behind; resume from revision 4 of partition 3');
    expect((error as StoreError).data.partition).toBe(3);
  });

  it('room freed by the consumer is room again', async () => {
    const q = new WatchQueue(2, 1_000_000);
    const seen: number[] = [];
    const it = q.drain(undefined)[Symbol.asyncIterator]();
    for (let rev = 1; rev <= 10; rev++) {
      q.push(put(rev));
      const next = await it.next();
      seen.push((next.value as WatchEvent).modRevision);
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('ends a consumer that falls behind by more bytes than its bound, counting values and keys', async () => {
    const big = new Uint8Array(400);
    const each = watchEventSizeBytes(put(1, big));
    expect(each).toBe(64 + 2 + 400);
    const q = new WatchQueue(1_000, 3 * each);
    for (let rev = 1; rev <= 6; rev++) q.push(put(rev, big));
    const { revisions, error } = await drainAll(q);
    expect(revisions).toEqual([1, 2, 3]);
    expect((error as StoreError).message).toBe(`the watcher fell more than ${3 * each} bytes behind; resume from revision 4 of partition 3`);
  });

  it('bytes delivered no longer count against the bound', async () => {
    const big = new Uint8Array(1_000);
    const q = new WatchQueue(1_000, 2 * watchEventSizeBytes(put(999, big)));
    const it = q.drain(undefined)[Symbol.asyncIterator]();
    for (let rev = 1; rev <= 20; rev++) {
      q.push(put(rev, big));
      q.push(put(rev + 100, big));
      expect(((await it.next()).value as WatchEvent).modRevision).toBe(rev);
      expect(((await it.next()).value as WatchEvent).modRevision).toBe(rev + 100);
    }
  });

  it('one event larger than the whole bound still reaches an empty queue', async () => {
    const q = new WatchQueue(10, 100);
    q.push(put(1, 'x'.repeat(1_000)));
    q.fail(new StoreError('UNAVAILABLE', 'stop'));
    const { revisions } = await drainAll(q);
    expect(revisions).toEqual([1]);
  });

  it('sizes strings at 2 bytes a character, JSON by its text, deletes by their key', () => {
    expect(watchEventSizeBytes(put(1, 'abcd'))).toBe(64 + 2 + 8);
    expect(watchEventSizeBytes(put(1, { a: [1, 2] }))).toBe(64 + 2 + 2 * '{"a":[1,2]}'.length);
    expect(watchEventSizeBytes({ type: 'delete', partition: 0, key: utf8Encode('key'), version: 0, modRevision: 9 })).toBe(64 + 3);
  });

  it('an aborted consumer stops without an error', async () => {
    const q = new WatchQueue();
    const controller = new AbortController();
    const seen: number[] = [];
    const done = (async () => {
      for await (const e of q.drain(controller.signal)) seen.push(e.modRevision);
    })();
    q.push(put(1));
    await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    await done;
    expect(seen).toEqual([1]);
  });
});
