import { Prng } from '@ringkv/stdx';
import { describe, expect, it } from 'vitest';
import { SessionPool } from '../src/sessions';
import { backoffDelayMs } from '../src/backoff';

describe('SessionPool', () => {
  it('never hands out more sessions than its size; waiters get them in FIFO order', async () => {
    const pool = new SessionPool(2, new Prng(1));
    const a = await pool.acquire();
    const b = await pool.acquire();
    expect(a.clientId).not.toBe(b.clientId);
    const order: string[] = [];
    const c = pool.acquire().then((s) => order.push(`c:${s.clientId}`));
    const d = pool.acquire().then((s) => order.push(`d:${s.clientId}`));
    expect(pool.liveCount).toBe(2);
    pool.release(a);
    pool.release(b);
    await Promise.all([c, d]);
    expect(order).toEqual([`c:${a.clientId}`, `d:${b.clientId}`]);
  });

  it('tryAcquire hands out a free session at once and nothing when all are busy or the pool is closed', () => {
    const pool = new SessionPool(2, new Prng(1));
    const a = pool.tryAcquire()!;
    const b = pool.tryAcquire()!;
    expect(a.clientId).not.toBe(b.clientId);
    expect(pool.tryAcquire()).toBeUndefined();
    pool.release(a);
    expect(pool.tryAcquire()).toBe(a);
    pool.release(a);
    pool.close();
    expect(pool.tryAcquire()).toBeUndefined();
  });

  it('a session refuses a second write in flight', async () => {
    const pool = new SessionPool(1, new Prng(1));
    const s = await pool.acquire();
    expect(s.begin()).toEqual({ clientId: s.clientId, seq: 1 });
    expect(() => s.begin()).toThrow(/in flight/);
    s.end(true);
    expect(s.begin().seq).toBe(2);
  });

  it('a retired session is replaced by a fresh one', async () => {
    const pool = new SessionPool(1, new Prng(1));
    const s = await pool.acquire();
    s.begin();
    s.end(false);
    pool.release(s);
    const t = await pool.acquire();
    expect(t.clientId).not.toBe(s.clientId);
    expect(t.begin().seq).toBe(1);
    expect(pool.liveCount).toBe(1);
  });

  it('an aborted wait leaves the queue and close() rejects the rest', async () => {
    const pool = new SessionPool(1, new Prng(1));
    await pool.acquire();
    const controller = new AbortController();
    const aborted = pool.acquire(controller.signal);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
    const waiting = pool.acquire();
    pool.close();
    await expect(waiting).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe('backoff', () => {
  it('stays within [0, min(cap, base * 2^n)] and spreads', () => {
    const random = new Prng(3);
    for (let n = 0; n < 12; n++) {
      const ceiling = Math.min(1000, 10 * 2 ** n);
      const samples = Array.from({ length: 200 }, () => backoffDelayMs(n, { baseMs: 10, capMs: 1000 }, random));
      expect(Math.max(...samples)).toBeLessThanOrEqual(ceiling);
      expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...samples)).toBeGreaterThan(ceiling * 0.8);
    }
  });
});
