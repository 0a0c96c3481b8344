/**
 * The attempts' timeouts on one timer: each fires at its time and not before, in order, never
 * after it was cancelled, and a queue of cancelled ones leaves no timer behind.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Clock, TimerHandle } from '@ringkv/stdx';
import { ManualClock } from '@ringkv/stdx';
import { DeadlineQueue } from '../src/deadlines';

/** A ManualClock that counts the timers armed on it and still pending. */
class CountingClock implements Clock {
  readonly inner = new ManualClock();
  armed = 0;
  private readonly pending = new Set<number>();
  nowMs(): number {
    return this.inner.nowMs();
  }
  wallMs(): number {
    return this.inner.wallMs();
  }
  setTimer(delayMs: number, fn: () => void): TimerHandle {
    this.armed++;
    const handle = this.inner.setTimer(delayMs, () => {
      this.pending.delete(handle.id);
      fn();
    });
    this.pending.add(handle.id);
    return handle;
  }
  clearTimer(handle: TimerHandle): void {
    this.pending.delete(handle.id);
    this.inner.clearTimer(handle);
  }
  get live(): number {
    return this.pending.size;
  }
}

describe('DeadlineQueue', () => {
  it('fires each deadline at its time, in order, unless cancelled first (against a timer each)', () => {
    // Steps: add a deadline of some delay, cancel the k-th live one, or let time pass.
    const step = fc.oneof(
      fc.record({ add: fc.oneof(fc.constant(100), fc.integer({ min: 0, max: 300 })) }),
      fc.record({ cancel: fc.nat() }),
      fc.record({ wait: fc.integer({ min: 0, max: 150 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const clock = new CountingClock();
        const queue = new DeadlineQueue(clock);
        const fired: Array<{ id: number; atMs: number }> = [];
        const expected: Array<{ id: number; dueMs: number }> = [];
        const live: Array<{ id: number; dueMs: number; d: ReturnType<DeadlineQueue['add']> }> = [];
        let nextId = 0;
        const runFor = (ms: number) => {
          const until = clock.nowMs() + ms;
          // Advance one ms at a time so each firing is seen at its own time.
          while (clock.nowMs() < until) clock.inner.advance(1);
        };
        for (const s of steps) {
          if ('add' in s) {
            const id = nextId++;
            const dueMs = clock.nowMs() + s.add;
            const d = queue.add(s.add, () => fired.push({ id, atMs: clock.nowMs() }));
            live.push({ id, dueMs, d });
          } else if ('cancel' in s) {
            const pending = live.filter((l) => !fired.some((f) => f.id === l.id) && !l.d.cancelled);
            if (pending.length > 0) queue.cancel(pending[s.cancel % pending.length]!.d);
          } else runFor(s.wait);
        }
        runFor(400);
        for (const l of live) if (!(l.d.cancelled && !fired.some((f) => f.id === l.id))) expected.push({ id: l.id, dueMs: l.dueMs });
        // Every deadline not cancelled fired exactly once, at its due time.
        expect(fired.map((f) => f.id).sort((a, b) => a - b)).toEqual(expected.map((e) => e.id).sort((a, b) => a - b));
        for (const f of fired) expect(f.atMs).toBe(expected.find((e) => e.id === f.id)!.dueMs);
        // In due order. (Ties may come in either order: a deadline on a timer of its own and a
        // queued one due at the same time fire in the order their timers were armed.)
        for (let i = 1; i < fired.length; i++) expect(fired[i]!.atMs).toBeGreaterThanOrEqual(fired[i - 1]!.atMs);
        // Queued deadlines due at the same time keep the order they were added in.
        const queued = fired.filter((f) => live.find((l) => l.id === f.id)!.d.own === undefined);
        for (let i = 1; i < queued.length; i++) if (queued[i]!.atMs === queued[i - 1]!.atMs) expect(queued[i]!.id).toBeGreaterThan(queued[i - 1]!.id);
        expect(clock.live).toBe(0);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps one timer for many deadlines, and none once all are cancelled', () => {
    const clock = new CountingClock();
    const queue = new DeadlineQueue(clock);
    const deadlines = Array.from({ length: 1000 }, () => queue.add(5000, () => expect.unreachable()));
    expect(clock.armed).toBe(1);
    // Answers come back out of order; the queue shrinks as its front settles.
    for (let i = 999; i >= 1; i--) queue.cancel(deadlines[i]!);
    expect(queue.size).toBe(1000);
    queue.cancel(deadlines[0]!);
    expect(queue.size).toBe(0);
    expect(clock.live).toBe(0);
    clock.inner.advance(10_000);
    expect(clock.armed).toBe(1);
  });
});
