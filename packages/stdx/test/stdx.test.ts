import { describe, expect, it } from 'vitest';
import { assert, AssertionError, ManualClock, Prng, compareBytes, nodeId, utf8Encode, utf8EncodeCarved, utf8Length, utf8LengthJs } from '../src/index';
import fc from 'fast-check';

describe('assert', () => {
  it('throws AssertionError with the message when false', () => {
    expect(() => assert(false, 'broken')).toThrow(AssertionError);
    expect(() => assert(false, () => 'lazy')).toThrow('lazy');
    expect(() => assert(1, 'fine')).not.toThrow();
  });
});

describe('Prng', () => {
  it('replays the same sequence from the same seed', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const xs = Array.from({ length: 100 }, () => a.nextU32());
    const ys = Array.from({ length: 100 }, () => b.nextU32());
    expect(xs).toEqual(ys);
    expect(new Set(xs).size).toBeGreaterThan(95);
  });

  it('differs across seeds', () => {
    expect(new Prng(1).nextU32()).not.toBe(new Prng(2).nextU32());
  });

  it('forks independent streams by label, regardless of position', () => {
    const a = new Prng(7);
    const b = new Prng(7);
    b.nextU32();
    b.nextU32();
    expect(a.fork('net').nextU32()).toBe(b.fork('net').nextU32());
    expect(a.fork('net').nextU32()).not.toBe(a.fork('disk').nextU32());
  });

  it('int stays in range and is roughly uniform', () => {
    const p = new Prng(3);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[p.int(4)]!++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(600);
    expect(() => p.int(0)).toThrow(AssertionError);
  });
});

describe('ids', () => {
  it('rejects invalid node ids', () => {
    expect(() => nodeId(0)).toThrow(AssertionError);
    expect(() => nodeId(-1)).toThrow(AssertionError);
    expect(nodeId(3)).toBe(3);
  });
});

describe('ManualClock', () => {
  it('fires timers in time order only when advanced', () => {
    const c = new ManualClock();
    const fired: string[] = [];
    c.setTimer(20, () => fired.push('b'));
    const h = c.setTimer(15, () => fired.push('x'));
    c.setTimer(10, () => fired.push('a'));
    c.clearTimer(h);
    c.advance(5);
    expect(fired).toEqual([]);
    c.advance(20);
    expect(fired).toEqual(['a', 'b']);
    expect(c.nowMs()).toBe(25);
  });
});

describe('bytes', () => {
  it('encodes into carved arrays exactly as the encoder does, lone surrogates included', () => {
    for (const s of ['', 'k000000000000001', 'é', '€', '😀', 'a😀b€', '\ud800', 'a\udc00b', '\ud83d']) {
      const carved = utf8EncodeCarved(s);
      expect(carved).toEqual(utf8Encode(s));
      if (s.length > 0) expect(carved.buffer.byteLength).toBe(4096); // a view into a slab
    }
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(utf8EncodeCarved(s)).toEqual(utf8Encode(s));
      }),
      { numRuns: 300 },
    );
  });

  it('measures utf8 length like the encoder, natively and in the loop a browser runs', () => {
    for (const s of ['', 'abc', 'é', '€', '😀', 'a😀b€', '\ud800', 'a\udc00b', '\ud83d'.repeat(3), 'x'.repeat(70_000) + '€']) {
      expect(utf8Length(s)).toBe(utf8Encode(s).length);
      expect(utf8LengthJs(s)).toBe(utf8Encode(s).length);
    }
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        expect(utf8Length(s)).toBe(utf8Encode(s).length);
        expect(utf8LengthJs(s)).toBe(utf8Encode(s).length);
      }),
      { numRuns: 500 },
    );
  });
  it('compares bytewise', () => {
    expect(compareBytes(utf8Encode('a'), utf8Encode('b'))).toBe(-1);
    expect(compareBytes(utf8Encode('ab'), utf8Encode('a'))).toBe(1);
    expect(compareBytes(utf8Encode('a'), utf8Encode('a'))).toBe(0);
  });
});

describe('SystemClock', () => {
  it('fires a timer on real time and cancels a cleared one', async () => {
    const { SystemClock } = await import('../src/index');
    const c = new SystemClock();
    const fired: string[] = [];
    const h = c.setTimer(1, () => fired.push('cleared'));
    c.clearTimer(h);
    const t0 = c.nowMs();
    await new Promise<void>((resolve) => c.setTimer(5, () => (fired.push('ran'), resolve())));
    expect(fired).toEqual(['ran']);
    expect(c.nowMs()).toBeGreaterThan(t0);
    expect(Math.abs(c.wallMs() - Date.now())).toBeLessThan(1000);
  });

  it('runs a zero-delay timer on the next turn, before a 1 ms timer, and cancels it too', async () => {
    const { SystemClock } = await import('../src/index');
    const c = new SystemClock();
    const order: string[] = [];
    const cleared = c.setTimer(0, () => order.push('cleared'));
    c.clearTimer(cleared);
    await new Promise<void>((resolve) => {
      // setTimeout(1) and setTimeout(0) share Node's 1 ms floor; an immediate runs first.
      setTimeout(() => (order.push('timeout'), resolve()), 1);
      c.setTimer(0, () => order.push('immediate'));
      expect(order).toEqual([]);
    });
    expect(order).toEqual(['immediate', 'timeout']);
  });
});
