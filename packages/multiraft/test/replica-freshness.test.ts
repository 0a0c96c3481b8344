/**
 * PartitionFreshness keeps its evidence in place (no filter, no sort per message): it must keep
 * exactly what the plain version kept: the Pareto frontier of evidence not yet covered by the
 * apply, in commit order, at most PENDING_MAX of it, and the same sync point.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Evidence } from '../src/replica-freshness';
import { PENDING_MAX, PartitionFreshness } from '../src/replica-freshness';

/** The straightforward version, as it was written first. */
class Reference {
  syncedAtMs = -Infinity;
  pending: Evidence[] = [];
  note(e: Evidence, kvApplied: number): void {
    if (e.atMs <= this.syncedAtMs) return;
    if (e.commit <= kvApplied) {
      this.syncedAtMs = e.atMs;
      this.pending = this.pending.filter((p) => p.atMs > e.atMs);
      return;
    }
    if (this.pending.some((p) => p.atMs >= e.atMs && p.commit <= e.commit)) return;
    this.pending = this.pending.filter((p) => !(p.atMs <= e.atMs && p.commit >= e.commit));
    this.pending.push(e);
    this.pending.sort((a, b) => a.commit - b.commit);
    if (this.pending.length > PENDING_MAX) this.pending.pop();
  }
  settle(kvApplied: number): void {
    while (this.pending.length > 0 && this.pending[0]!.commit <= kvApplied) {
      const e = this.pending.shift()!;
      if (e.atMs > this.syncedAtMs) this.syncedAtMs = e.atMs;
    }
  }
}

describe('partition freshness evidence', () => {
  it('keeps what the plain filter-and-sort version keeps, for any sequence', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('note' as const), atMs: fc.integer({ min: 0, max: 200 }), commit: fc.integer({ min: 0, max: 60 }), applied: fc.integer({ min: 0, max: 60 }) }),
      fc.record({ kind: fc.constant('settle' as const), applied: fc.integer({ min: 0, max: 60 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 300 }), (steps) => {
        const got = new PartitionFreshness();
        const want = new Reference();
        for (const s of steps) {
          if (s.kind === 'note') {
            const e = { atMs: s.atMs, commit: s.commit };
            got.note(e, s.applied);
            want.note(e, s.applied);
          } else {
            got.settle(s.applied);
            want.settle(s.applied);
          }
          expect(got.pending).toEqual(want.pending);
          expect(got.syncedAtMs).toBe(want.syncedAtMs);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('holds at most PENDING_MAX pieces of evidence', () => {
    const f = new PartitionFreshness();
    for (let i = 1; i <= PENDING_MAX + 10; i++) f.note({ atMs: i, commit: 100 + i }, 0);
    expect(f.pending.length).toBe(PENDING_MAX);
    expect(f.pending.map((e) => e.commit)).toEqual(Array.from({ length: PENDING_MAX }, (_, i) => 101 + i));
  });
});
