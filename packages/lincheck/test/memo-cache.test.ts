import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Bitset } from '../src/bitset';
import { MemoCache } from '../src/memo-cache';

describe('Bitset', () => {
  it('sets, clears, counts and compares across word boundaries', () => {
    const b = Bitset.ofSize(70).set(0).set(31).set(32).set(69);
    expect([0, 1, 31, 32, 69].map((i) => b.has(i))).toEqual([true, false, true, true, true]);
    expect(b.count()).toBe(4);
    const c = b.clone().clear(31);
    expect(b.has(31) && !c.has(31)).toBe(true);
    expect(b.equals(c)).toBe(false);
    expect(c.set(31).equals(b)).toBe(true);
    expect(c.hash()).toBe(b.hash());
  });
});

describe('MemoCache', () => {
  it('answers like a set of (bits, state) pairs, through growth and collisions', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.uniqueArray(fc.nat(99), { maxLength: 6 }), fc.nat(3)), { maxLength: 400 }), (configs) => {
        // A weak state hash forces chain walks and full comparisons.
        const cache = new MemoCache<number>(100, (a, b) => a === b, 2);
        const seen = new Set<string>();
        for (const [bits, state] of configs) {
          const set = Bitset.ofSize(100);
          for (const bit of bits) set.set(bit);
          const id = `${[...bits].sort((a, b) => a - b).join(',')}|${state}`;
          expect(cache.addIfAbsent(set, state, state & 1)).toBe(!seen.has(id));
          seen.add(id);
          set.clear(bits[0] ?? 0); // the cache must have kept a copy
        }
        expect(cache.size).toBe(seen.size);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects a bitset of another size', () => {
    expect(() => new MemoCache<number>(40, (a, b) => a === b).addIfAbsent(Bitset.ofSize(100), 0, 0)).toThrow(/wrong size/);
  });
});
