/** The value cache on its own: within its byte bound, never a wrong value, the entry just set kept. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupId } from '@ringkv/stdx';
import type { KvRecord } from '../src/interfaces';
import { ABSENT, ValueCache } from '../src/value-cache';
import type { CachedValue } from '../src/value-cache';

const op = fc.oneof(
  fc.record({ type: fc.constant('set' as const), p: fc.nat({ max: 2 }), key: fc.nat({ max: 30 }), size: fc.nat({ max: 2_100 }), absent: fc.boolean() }),
  fc.record({ type: fc.constant('lookup' as const), p: fc.nat({ max: 2 }), key: fc.nat({ max: 30 }) }),
  fc.record({ type: fc.constant('drop' as const), p: fc.nat({ max: 2 }) }),
);

describe('ValueCache', () => {
  it('stays within its bound, returns only the last value set for a key, and keeps the one just set', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const max = 2_000;
        const cache = new ValueCache(max);
        const model = new Map<string, CachedValue>();
        const sizes = new Map<string, number>();
        let version = 0;
        for (const o of ops) {
          const id = o.type === 'drop' ? '' : `${o.p}/${o.key}`;
          const key = o.type === 'drop' ? new Uint8Array(0) : Uint8Array.of(o.key, o.key >> 8);
          if (o.type === 'set') {
            const value: CachedValue = o.absent ? ABSENT : ({ value: 'v', version: ++version, createRevision: 1, modRevision: version } satisfies KvRecord);
            cache.set(groupId(o.p), key, value, o.size);
            model.set(id, value);
            sizes.set(id, 130 + o.size);
            // Kept unless it alone is over the bound (128 B of overhead + 2 B of key + its size);
            // then no older value of the key survives either (a read would see a stale value).
            expect(cache.lookup(groupId(o.p), key)).toBe(130 + o.size > max ? undefined : value);
            if (130 + o.size > max) sizes.delete(id);
          } else if (o.type === 'lookup') {
            const got = cache.lookup(groupId(o.p), key);
            if (got !== undefined) expect(got).toBe(model.get(id));
          } else {
            cache.dropPartition(groupId(o.p));
            for (let k = 0; k <= 30; k++) expect(cache.lookup(groupId(o.p), Uint8Array.of(k, 0))).toBeUndefined();
          }
          expect(cache.sizeBytes).toBeLessThanOrEqual(max);
          // The size is the sum of what is cached (no two of these keys share a slot).
          let cached = 0;
          let held = 0;
          for (const [k, size] of sizes) {
            const [p, n] = k.split('/').map(Number) as [number, number];
            if (cache.lookup(groupId(p), Uint8Array.of(n, n >> 8)) !== undefined) {
              cached++;
              held += size;
            }
          }
          expect([cache.entries, cache.sizeBytes]).toEqual([cached, held]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('keeps its own copy of a key: the caller may reuse the buffer it passed, on insert and on update', () => {
    const cache = new ValueCache(10_000);
    const record = (version: number): KvRecord => ({ value: `v${version}`, version, createRevision: 1, modRevision: version });
    const buffer = Uint8Array.of(9, 1, 2, 3, 9);
    cache.set(groupId(1), buffer.subarray(1, 4), record(1), 10);
    buffer.fill(0);
    expect(cache.lookup(groupId(1), Uint8Array.of(1, 2, 3))).toEqual(record(1));
    const again = Uint8Array.of(1, 2, 3);
    cache.set(groupId(1), again, record(2), 10);
    again.fill(7);
    expect(cache.lookup(groupId(1), Uint8Array.of(1, 2, 3))).toEqual(record(2));
    expect(cache.lookup(groupId(1), Uint8Array.of(7, 7, 7))).toBeUndefined();
  });

  it('gives its own copy of a key it holds, to share, and nothing for one it does not', () => {
    const cache = new ValueCache(10_000);
    const passed = Uint8Array.of(1, 2, 3);
    cache.set(groupId(1), passed, ABSENT, 0);
    const own = cache.keyOf(groupId(1), Uint8Array.of(1, 2, 3));
    expect(own).toEqual(passed);
    expect(own).not.toBe(passed);
    expect(cache.keyOf(groupId(2), Uint8Array.of(1, 2, 3))).toBeUndefined();
    expect(cache.keyOf(groupId(1), Uint8Array.of(1, 2))).toBeUndefined();
    expect(cache.hits + cache.misses).toBe(0);
  });

  it('caches nothing when its bound is zero', () => {
    const cache = new ValueCache(0);
    cache.set(groupId(1), Uint8Array.of(1), ABSENT, 0);
    expect(cache.lookup(groupId(1), Uint8Array.of(1))).toBeUndefined();
    expect(cache.entries).toBe(0);
  });
});
