import { describe, expect, it } from 'vitest';
import { nodeId } from '@ringkv/stdx';
import { ProgressTracker } from '../src/tracker/tracker';
import { Inflights } from '../src/tracker/inflights';
import { Progress } from '../src/tracker/progress';

describe('Inflights', () => {
  it('is a bounded FIFO window freed by acknowledgement', () => {
    const f = new Inflights(3);
    f.add(1);
    f.add(5);
    expect(f.full()).toBe(false);
    f.add(9);
    expect(f.full()).toBe(true);
    expect(() => f.add(10)).toThrow(/full/);
    f.freeLE(4);
    expect(f.count).toBe(2);
    f.freeLE(5);
    expect(f.count).toBe(1);
    f.add(12);
    f.add(13); // wraps around the ring
    expect(f.full()).toBe(true);
    f.freeLE(12);
    expect(f.count).toBe(1);
    f.freeLE(100);
    expect(f.count).toBe(0);
    f.reset();
    expect(f.count).toBe(0);
  });
});

describe('Progress', () => {
  it('probe sends one MsgApp then pauses until an answer', () => {
    const p = new Progress(5, 4, false);
    expect(p.isPaused()).toBe(false);
    p.sentEntries(2);
    expect(p.next).toBe(5); // probe does not advance next optimistically
    expect(p.isPaused()).toBe(true);
    expect(p.maybeUpdate(6)).toBe(true);
    expect(p.isPaused()).toBe(false);
    expect(p.match).toBe(6);
    expect(p.next).toBe(7);
    expect(p.maybeUpdate(6)).toBe(false);
  });

  it('replicate streams optimistically up to the inflight window', () => {
    const p = new Progress(1, 2, false);
    p.becomeReplicate();
    p.sentEntries(3);
    expect(p.next).toBe(4);
    expect(p.isPaused()).toBe(false);
    p.sentEntries(1);
    expect(p.next).toBe(5);
    expect(p.isPaused()).toBe(true);
    p.inflights.freeLE(3);
    p.maybeUpdate(3);
    expect(p.isPaused()).toBe(false);
  });

  it('maybeDecrTo ignores stale rejections and backs off to the hint', () => {
    const p = new Progress(10, 4, false);
    p.match = 3;
    expect(p.maybeDecrTo(5, 4)).toBe(false); // not the index we sent (next-1 = 9)
    expect(p.maybeDecrTo(9, 6)).toBe(true);
    expect(p.next).toBe(7);
    expect(p.maybeDecrTo(6, 0)).toBe(true);
    expect(p.next).toBe(4); // never below match + 1
    p.becomeReplicate();
    p.sentEntries(5);
    expect(p.maybeDecrTo(3, 0)).toBe(false); // rejected <= match: stale
    expect(p.maybeDecrTo(6, 0)).toBe(true);
    expect(p.next).toBe(4);
  });

  it('snapshot state pauses and resumes past the snapshot', () => {
    const p = new Progress(2, 4, false);
    p.becomeSnapshot(20);
    expect(p.isPaused()).toBe(true);
    p.becomeProbe();
    expect(p.next).toBe(21);
    p.becomeSnapshot(20);
    p.pendingSnapshot = 0; // failed
    p.becomeProbe();
    expect(p.next).toBe(1);
  });
});

describe('ProgressTracker.ids', () => {
  it('lists the members with progress in order, and follows every change to them', () => {
    const t = new ProgressTracker();
    const add = (id: number) => t.progress.set(nodeId(id), new Progress(1, 16, false));
    add(3);
    add(1);
    const first = t.ids();
    expect(first).toEqual([1, 3]);
    expect(t.ids()).toBe(first); // unchanged members: the same sorted array, no new one
    add(2);
    expect(t.ids()).toEqual([1, 2, 3]);
    t.progress.delete(nodeId(2));
    t.progress.delete(nodeId(3));
    add(5);
    expect(t.ids()).toEqual([1, 5]); // same size as a cached list, other members
    t.progress = new Map([[nodeId(4), new Progress(1, 16, false)], [nodeId(1), new Progress(1, 16, false)]]);
    expect(t.ids()).toEqual([1, 4]);
  });
});
