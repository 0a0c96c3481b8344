import { describe, expect, it } from 'vitest';
import { Scheduler } from '../src/scheduler';

describe('Scheduler', () => {
  it('runs events in (time, insertion) order and advances virtual time', async () => {
    const s = new Scheduler();
    const seen: string[] = [];
    s.after(30, 'c', () => seen.push(`c@${s.nowMs}`));
    s.after(10, 'a', () => seen.push(`a@${s.nowMs}`));
    s.after(10, 'b', () => seen.push(`b@${s.nowMs}`));
    s.after(20, 'x', () => {
      seen.push(`x@${s.nowMs}`);
      s.after(0, 'y', () => seen.push(`y@${s.nowMs}`));
    });
    await s.runUntil(25);
    expect(seen).toEqual(['a@10', 'b@10', 'x@20', 'y@20']);
    expect(s.nowMs).toBe(25);
    await s.runUntil(100);
    expect(seen.at(-1)).toBe('c@30');
    expect(s.nowMs).toBe(100);
  });

  it('never runs a cancelled event', async () => {
    const s = new Scheduler();
    let ran = false;
    const h = s.after(5, 'e', () => (ran = true));
    s.cancel(h);
    await s.runUntil(10);
    expect(ran).toBe(false);
    expect(s.pendingCount).toBe(0);
  });

  it('lets the async work an event started finish before the next event runs', async () => {
    const s = new Scheduler();
    const seen: string[] = [];
    s.after(1, 'async', () => {
      void (async () => {
        for (let i = 0; i < 50; i++) await Promise.resolve();
        await new Promise<void>((r) => process.nextTick(r));
        await Promise.resolve();
        seen.push('async done');
      })();
    });
    s.after(1, 'next', () => seen.push('next'));
    await s.runUntil(2);
    expect(seen).toEqual(['async done', 'next']);
  });

  it('stops at the first event that throws and reports it', async () => {
    const s = new Scheduler();
    let after = false;
    s.after(1, 'boom', () => {
      throw new Error('invariant broken');
    });
    s.after(2, 'later', () => (after = true));
    await s.runUntil(10);
    expect(after).toBe(false);
    expect(String(s.errors[0])).toContain('invariant broken');
  });

  it('gives equal trace digests for equal runs and different ones otherwise', async () => {
    const run = async (extra: boolean): Promise<string> => {
      const s = new Scheduler();
      s.after(1, 'a', () => s.record('x'));
      if (extra) s.after(2, 'b', () => {});
      await s.runUntil(5);
      return s.traceDigest();
    };
    expect(await run(false)).toBe(await run(false));
    expect(await run(false)).not.toBe(await run(true));
  });
});

describe('Scheduler draining', () => {
  it('runs a long promise chain an event started to the end before the next event', async () => {
    const s = new Scheduler();
    const seen: string[] = [];
    s.after(1, 'chain', () => {
      void (async () => {
        for (let i = 0; i < 2_000; i++) await Promise.resolve();
        seen.push('chain done');
      })();
    });
    s.after(1, 'next', () => seen.push('next'));
    await s.runUntil(2);
    expect(seen).toEqual(['chain done', 'next']);
  });

  it('waits for a process.nextTick queued from a microtask, and restores process.nextTick after the run', async () => {
    const original = process.nextTick;
    const s = new Scheduler();
    const seen: string[] = [];
    s.after(1, 'a', () => {
      void Promise.resolve().then(() =>
        process.nextTick(() => {
          void Promise.resolve()
            .then(() => Promise.resolve())
            .then(() => seen.push('tick chain done'));
        }),
      );
    });
    s.after(1, 'b', () => seen.push('b'));
    await s.runUntil(2);
    expect(seen).toEqual(['tick chain done', 'b']);
    expect(process.nextTick).toBe(original);
  });

  it('gives the same trace as the setImmediate-only drain', async () => {
    const run = async (fullDrain: boolean): Promise<string> => {
      const s = new Scheduler({ fullDrain });
      for (let i = 0; i < 200; i++) {
        s.after(i % 7, `e${i}`, () => {
          void (async () => {
            await Promise.resolve();
            s.record(`done ${i}`);
            if (i % 3 === 0) s.after(1, `f${i}`, () => s.record(`f ${i}`));
          })();
        });
      }
      await s.runUntil(20);
      return s.traceDigest();
    };
    expect(await run(false)).toBe(await run(true));
  });
});
