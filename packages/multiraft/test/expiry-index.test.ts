/**
 * The expiry index stays bounded by the keys that have a TTL now, however often they are
 * rewritten (a session key refreshed with a TTL on every request), and dropping its stale
 * entries changes nothing it yields.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8Encode } from '@ringkv/stdx';
import { ExpiryIndex, STALE_ENTRIES_FLOOR } from '../src/expiry-index';

const text = (k: Uint8Array): string => new TextDecoder().decode(k);

describe('expiry index bounds', () => {
  it('a key rewritten with a TTL over and over keeps the heap bounded and yields only its last record', () => {
    const x = new ExpiryIndex();
    for (let rev = 1; rev <= 20_000; rev++) {
      x.track(utf8Encode('session'), rev, 3_600_000 + rev);
      expect(x.heapSize).toBeLessThanOrEqual(2 * x.size + STALE_ENTRIES_FLOOR);
    }
    expect(x.size).toBe(1);
    const out = x.takeExpired(10_000_000, 100, 20_000_000);
    expect(out.map((c) => [text(c.key), c.modRevision])).toEqual([['session', 20_000]]);
  });

  it('keys deleted in bulk do not leave their entries behind', () => {
    const x = new ExpiryIndex(16);
    for (let i = 0; i < 1_000; i++) x.track(utf8Encode(`k${i}`), i + 1, 86_400_000);
    for (let i = 0; i < 995; i++) x.untrack(utf8Encode(`k${i}`));
    expect(x.size).toBe(5);
    expect(x.heapSize).toBeLessThanOrEqual(2 * 5 + 16);
    expect(x.takeExpired(86_400_000, 100, 90_000_000).map((c) => text(c.key)).sort()).toEqual(['k995', 'k996', 'k997', 'k998', 'k999']);
  });

  it('a rebuilt heap still yields in expiry order, up to the limit', () => {
    const x = new ExpiryIndex(4);
    // Stale entries first, then live ones with distinct expiries in scrambled order.
    for (let rev = 1; rev <= 50; rev++) x.track(utf8Encode('churn'), rev, 10 + rev);
    x.untrack(utf8Encode('churn'));
    const expiries = [70, 20, 90, 40, 10, 60, 30, 80, 50];
    expiries.forEach((e, i) => x.track(utf8Encode(`k${e}`), 100 + i, e));
    expect(x.heapSize).toBeLessThanOrEqual(2 * x.size + 4);
    expect(x.takeExpired(1_000, 4, 5_000).map((c) => c.expiresAtMs)).toEqual([10, 20, 30, 40]);
    expect(x.takeExpired(1_000, 10, 5_000).map((c) => c.expiresAtMs)).toEqual([50, 60, 70, 80, 90]);
  });

  it('yields what an index that never drops stale entries yields (model test)', () => {
    type Op = { t: 'track'; key: number; exp: number } | { t: 'untrack'; key: number } | { t: 'take'; advance: number; retry: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ t: fc.constant('track' as const), key: fc.integer({ min: 0, max: 7 }), exp: fc.integer({ min: 0, max: 400 }) }) },
      { weight: 2, arbitrary: fc.record({ t: fc.constant('untrack' as const), key: fc.integer({ min: 0, max: 7 }) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('take' as const), advance: fc.integer({ min: 0, max: 60 }), retry: fc.integer({ min: 1, max: 100 }) }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const x = new ExpiryIndex(2);
        // The model: every entry ever tracked, none dropped until it is taken.
        let entries: Array<{ key: string; rev: number; exp: number }> = [];
        const live = new Map<string, number>();
        let rev = 0;
        let now = 0;
        for (const o of ops) {
          if (o.t === 'track') {
            rev++;
            const key = `k${o.key}`;
            x.track(utf8Encode(key), rev, now + o.exp);
            live.set(key, rev);
            entries.push({ key, rev, exp: now + o.exp });
          } else if (o.t === 'untrack') {
            x.untrack(utf8Encode(`k${o.key}`));
            live.delete(`k${o.key}`);
          } else {
            now += o.advance;
            // A limit above every entry: the answer is a set, whatever the order of equal expiries.
            const got = x.takeExpired(now, 1_000_000, now + o.retry).map((c) => `${text(c.key)}@${c.modRevision}`).sort();
            const due = entries.filter((e) => e.exp <= now);
            entries = entries.filter((e) => e.exp > now);
            const want = due.filter((e) => live.get(e.key) === e.rev);
            for (const e of want) entries.push({ ...e, exp: now + o.retry });
            expect(got).toEqual(want.map((e) => `${e.key}@${e.rev}`).sort());
          }
          expect(x.heapSize).toBeLessThanOrEqual(Math.max(2 * x.size + 2, entries.length));
          expect(x.size).toBe(live.size);
        }
      }),
      { numRuns: 300 },
    );
  });
});
