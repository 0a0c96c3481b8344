/**
 * The watch history's bounds, each on its own: the count bound drops whole revisions from the
 * oldest, a log compaction trims below the log's first index, a snapshot resets the history and
 * ends watchers behind it, and a watch from below the history is COMPACTED with the revision to
 * read from. Also the node's watcher limit and one delivery per event.
 */
import { describe, expect, it } from 'vitest';
import { utf8Encode } from '@ringkv/stdx';
import { StoreError } from '../src/errors';
import type { WatchEvent, WatchSink } from '../src/facade';
import { WatchHub } from '../src/watch-hub';

const ev = (rev: number, key = 'k', partition = 0): WatchEvent => ({ type: 'put', partition, key: utf8Encode(key), value: key, version: 1, modRevision: rev });
const revs = (events: readonly WatchEvent[] | undefined) => (events ?? []).map((e) => e.modRevision);

function sink(): WatchSink & { events: WatchEvent[]; errors: StoreError[] } {
  const events: WatchEvent[] = [];
  const errors: StoreError[] = [];
  return { events, errors, onEvent: (e) => events.push(e), onError: (e) => errors.push(e) };
}

/** The StoreError `fn` throws (COMPACTED or UNAVAILABLE below). */
function storeErrorOf(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError);
    return error as StoreError;
  }
  throw new Error('expected a StoreError');
}

describe('watch history bounds', () => {
  it('keeps at most eventsMax events, dropping whole revisions from the oldest', () => {
    const hub = new WatchHub(4, 10);
    hub.reset(0, 0);
    hub.publish(0, [ev(1), ev(2, 'a'), ev(2, 'b'), ev(3)]);
    expect(revs(hub.historyOf(0)?.events)).toEqual([1, 2, 2, 3]);
    // A fifth event: keeping four would split revision 2, so revisions 1 and 2 both go.
    hub.publish(0, [ev(4)]);
    expect(revs(hub.historyOf(0)?.events)).toEqual([3, 4]);
    expect(hub.historyOf(0)?.startRevision).toBe(3);
    // Within the bound nothing more goes.
    hub.publish(0, [ev(5), ev(6)]);
    expect(revs(hub.historyOf(0)?.events)).toEqual([3, 4, 5, 6]);
    expect(hub.historyOf(0)?.startRevision).toBe(3);
    // One more: the cut goes past the revision at the boundary too (it cannot tell cheaply whether
    // that revision began earlier), so 3 and 4 go: at most eventsMax, never a split revision.
    hub.publish(0, [ev(7)]);
    expect(revs(hub.historyOf(0)?.events)).toEqual([5, 6, 7]);
    const err = storeErrorOf(() => hub.watch({ key: utf8Encode('k') }, [0], 4, () => 7, sink()));
    expect(err.code).toBe('COMPACTED');
    expect(err.message).toBe('partition 0 no longer holds changes before revision 5 (asked from 4); read the current state and watch from its revision');
    expect(err.data).toMatchObject({ partition: 0, compactedRevision: 4 });
    const s = sink();
    hub.watch({ key: utf8Encode('k') }, [0], 5, () => 7, s);
    expect(revs(s.events)).toEqual([5, 6, 7]);
  });

  it('trims below the log first index at a compaction, never above it, and only that partition', () => {
    const hub = new WatchHub(100, 10);
    hub.reset(0, 0);
    hub.reset(1, 0);
    hub.publish(0, [ev(1), ev(2), ev(3), ev(4)]);
    hub.publish(1, [ev(1, 'k', 1), ev(2, 'k', 1)]);
    hub.compacted(0, 3);
    expect(revs(hub.historyOf(0)?.events)).toEqual([3, 4]);
    expect(hub.historyOf(0)?.startRevision).toBe(3);
    expect(revs(hub.historyOf(1)?.events)).toEqual([1, 2]);
    // An older compaction point changes nothing.
    hub.compacted(0, 2);
    expect(revs(hub.historyOf(0)?.events)).toEqual([3, 4]);
    expect(hub.historyOf(0)?.startRevision).toBe(3);
    // A compaction past every event empties the history but keeps its start.
    hub.compacted(0, 9);
    expect(hub.historyOf(0)).toEqual({ startRevision: 9, events: [] });
    // A partition without a history is left alone.
    hub.compacted(7, 5);
    expect(hub.historyOf(7)).toBeUndefined();
    // From exactly the start: served.
    const s = sink();
    hub.watch({ key: utf8Encode('k') }, [0], 9, () => 8, s);
    hub.publish(0, [ev(9)]);
    expect(revs(s.events)).toEqual([9]);
  });

  it('a snapshot resets the history and ends the watchers it leaves behind, not the others', () => {
    const hub = new WatchHub(100, 10);
    hub.reset(0, 0);
    hub.publish(0, [ev(1), ev(2)]);
    const behind = sink();
    const current = sink();
    hub.watch({ key: utf8Encode('k') }, [0], 1, () => 2, behind);
    hub.watch({ key: utf8Encode('k') }, [0], 3, () => 2, current);
    expect(hub.watcherCount).toBe(2);
    hub.reset(0, 10);
    expect(hub.historyOf(0)).toEqual({ startRevision: 11, events: [] });
    expect(behind.errors).toHaveLength(1);
    expect(behind.errors[0]!.code).toBe('COMPACTED');
    expect(behind.errors[0]!.message).toBe('partition 0 was replaced by a snapshot at revision 10; watch again from 11 after reading the current state');
    expect(behind.errors[0]!.data).toMatchObject({ partition: 0, compactedRevision: 10 });
    // The watcher that had seen revision 2 wanted 3..: it is behind too (3 <= 10). One that had
    // seen nothing of partition 0 yet is not: only `next <= applied` ends.
    expect(current.errors).toHaveLength(1);
    expect(hub.watcherCount).toBe(0);
    const later = sink();
    hub.watch({ key: utf8Encode('k') }, [0], 11, () => 10, later);
    hub.reset(0, 10);
    expect(later.errors).toEqual([]);
  });

  it('refuses a watch past the node limit with UNAVAILABLE, and a cancelled one frees its place', () => {
    const hub = new WatchHub(100, 2);
    hub.reset(0, 0);
    hub.watch({ key: utf8Encode('a') }, [0], undefined, () => 0, sink());
    const cancel = hub.watch({ key: utf8Encode('b') }, [0], undefined, () => 0, sink());
    const err = storeErrorOf(() => hub.watch({ key: utf8Encode('c') }, [0], undefined, () => 0, sink()));
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toBe('this node already serves 2 watches; try another node or later');
    expect(err.data).toMatchObject({ retryAfterMs: 1_000 });
    cancel();
    expect(hub.watcherCount).toBe(1);
    hub.watch({ key: utf8Encode('c') }, [0], undefined, () => 0, sink());
    expect(hub.watcherCount).toBe(2);
  });

  it('delivers each change once, to the watchers of its partition and key or prefix only', () => {
    const hub = new WatchHub(100, 10);
    hub.reset(0, 0);
    hub.reset(1, 0);
    const key = sink();
    const prefix = sink();
    const otherPartition = sink();
    hub.watch({ key: utf8Encode('ab') }, [0], undefined, () => 0, key);
    hub.watch({ prefix: utf8Encode('a') }, [0], undefined, () => 0, prefix);
    hub.watch({ prefix: utf8Encode('') }, [1], undefined, () => 0, otherPartition);
    hub.publish(0, [ev(1, 'ab'), ev(1, 'abc'), ev(2, 'b'), ev(3, 'a')]);
    expect(key.events.map((e) => `${e.modRevision}:${String(e.value)}`)).toEqual(['1:ab']);
    expect(prefix.events.map((e) => `${e.modRevision}:${String(e.value)}`)).toEqual(['1:ab', '1:abc', '3:a']);
    expect(otherPartition.events).toEqual([]);
    // An event older than what a watcher already has is not delivered (a replay overlapping the
    // stream); events sharing the last delivered revision are (a batch).
    hub.publish(0, [ev(4, 'ab')]);
    hub.publish(0, [ev(2, 'ab'), ev(4, 'abd')]);
    expect(revs(key.events)).toEqual([1, 4]);
    expect(revs(prefix.events)).toEqual([1, 1, 3, 4, 4]);
    hub.endAll(new StoreError('UNAVAILABLE', 'stopping'));
    expect([key.errors.length, prefix.errors.length, otherPartition.errors.length, hub.watcherCount]).toEqual([1, 1, 1, 0]);
    hub.publish(0, [ev(5, 'ab')]);
    expect(revs(key.events)).toEqual([1, 4]);
  });
});
