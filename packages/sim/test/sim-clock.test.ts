import { describe, expect, it } from 'vitest';
import { Scheduler } from '../src/scheduler';
import { SimClock } from '../src/sim-clock';

const opts = { label: 'n1', driftPpm: 0, wallStartMs: 1_000_000 };

describe('SimClock', () => {
  it('fires timers at virtual time and clears them', async () => {
    const s = new Scheduler();
    const c = new SimClock(s, opts);
    const fired: number[] = [];
    c.setTimer(100, () => fired.push(c.nowMs()));
    const h = c.setTimer(50, () => fired.push(-1));
    c.clearTimer(h);
    await s.runUntil(1000);
    expect(fired).toEqual([100]);
    expect(c.nowMs()).toBe(1000);
    expect(c.wallMs()).toBe(1_001_000);
  });

  it('runs fast or slow by its drift', async () => {
    const s = new Scheduler();
    const fast = new SimClock(s, { ...opts, driftPpm: 10_000 });
    let firedAt = -1;
    fast.setTimer(1010, () => (firedAt = s.nowMs));
    await s.runUntil(2000);
    expect(firedAt).toBeCloseTo(1000, 6);
    expect(fast.nowMs()).toBeCloseTo(2020, 6);
  });

  it('jumps its wall clock without moving its monotonic clock', async () => {
    const s = new Scheduler();
    const c = new SimClock(s, opts);
    await s.runUntil(10);
    c.jumpWall(-5000);
    expect(c.wallMs()).toBe(1_000_000 + 10 - 5000);
    expect(c.nowMs()).toBe(10);
  });

  it('defers timers due during a pause until it resumes, in their order', async () => {
    const s = new Scheduler();
    const c = new SimClock(s, opts);
    const fired: Array<[string, number]> = [];
    c.setTimer(10, () => fired.push(['a', s.nowMs]));
    c.setTimer(20, () => fired.push(['b', s.nowMs]));
    c.pauseUntil(500);
    await s.runUntil(1000);
    expect(fired).toEqual([
      ['a', 500],
      ['b', 500],
    ]);
  });

  it('goes silent when killed', async () => {
    const s = new Scheduler();
    const c = new SimClock(s, opts);
    let fired = 0;
    c.setTimer(10, () => fired++);
    c.kill();
    c.setTimer(10, () => fired++);
    await s.runUntil(100);
    expect(fired).toBe(0);
    expect(s.pendingCount).toBe(0);
  });
});
