/** Arrays carved from shared slabs never overlap, start zeroed and have the size asked for. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { carveBytes } from '../src/slab';

describe('carved bytes', () => {
  it('hands out disjoint zeroed arrays of the asked size, small or large', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 3000 })), { maxLength: 200 }), (sizes) => {
        const arrays = sizes.map((size, i) => {
          const a = carveBytes(size);
          expect(a.length).toBe(size);
          expect(a.every((b) => b === 0)).toBe(true);
          a.fill((i % 255) + 1);
          return a;
        });
        arrays.forEach((a, i) => expect(a.every((b) => b === (i % 255) + 1)).toBe(true));
        // Small ones are views into shared off-heap slabs, not arrays of their own.
        for (const a of arrays) if (a.length > 0 && a.length <= 512) expect(a.buffer.byteLength).toBe(4096);
      }),
      { numRuns: 50 },
    );
  });
});
