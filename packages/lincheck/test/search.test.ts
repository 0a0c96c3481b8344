import { describe, expect, it } from 'vitest';
import { checkHistory } from '../src/checker';
import { registerModel } from '../src/models/register-model';
import type { Operation } from '../src/operation';
import type { RegisterInput, RegisterOutput } from '../src/models/register-model';
import { searchLinearization } from '../src/search';
import { reg } from './helpers';

type RegOp = Operation<RegisterInput, RegisterOutput>;
const check = (operations: RegOp[]) => checkHistory({ model: registerModel, operations });
const never = (): boolean => false;

describe('search on a register', () => {
  it('accepts the empty history and a sequential one', () => {
    expect(check([]).verdict).toBe('ok');
    expect(check([reg.read('a', null, 0, 1), reg.write('a', '1', 2, 3), reg.read('b', '1', 4, 5)]).verdict).toBe('ok');
  });

  it('rejects a stale read after a completed write, and names it', () => {
    const ops = [reg.write('a', '1', 0, 1), reg.write('a', '2', 2, 3), reg.read('b', '1', 4, 5)];
    const r = searchLinearization(registerModel, ops, never);
    expect(r.verdict).toBe('illegal');
    expect(r.blockingOp).toBe(2);
    expect(r.longestPrefix).toEqual([0, 1]);
  });

  it('lets concurrent operations take effect in either order', () => {
    // The read overlaps both writes, so it may see either value.
    const base = [reg.write('a', '1', 0, 10), reg.write('b', '2', 1, 11)];
    expect(check([...base, reg.read('c', '1', 2, 12)]).verdict).toBe('ok');
    expect(check([...base, reg.read('c', '2', 2, 12)]).verdict).toBe('ok');
    expect(check([...base, reg.read('c', '3', 2, 12)]).verdict).toBe('illegal');
    // Two later reads must agree on which write came last.
    expect(check([...base, reg.read('c', '1', 20, 21), reg.read('d', '2', 22, 23)]).verdict).toBe('illegal');
  });

  it('treats equal call and return times as concurrent', () => {
    expect(check([reg.write('a', '1', 0, 5), reg.read('b', null, 5, 6)]).verdict).toBe('ok');
    expect(check([reg.write('a', '1', 0, 5), reg.read('b', null, 6, 7)]).verdict).toBe('illegal');
  });

  it('lets an unknown write take effect long after its call, or never', () => {
    const unknownWrite = reg.write('a', '1', 0, null);
    expect(check([unknownWrite, reg.read('b', null, 10, 11), reg.read('b', '1', 20, 21)]).verdict).toBe('ok');
    expect(check([unknownWrite, reg.read('b', null, 10, 11), reg.read('b', null, 20, 21)]).verdict).toBe('ok');
    // ...but once seen it cannot be undone, and it cannot take effect before its call.
    expect(check([unknownWrite, reg.read('b', '1', 10, 11), reg.read('b', null, 20, 21)]).verdict).toBe('illegal');
    expect(check([reg.read('b', '1', 0, 1), reg.write('a', '1', 2, null)]).verdict).toBe('illegal');
  });

  it('lets an unknown write take effect once only', () => {
    const ops = [
      reg.write('a', '1', 0, null),
      reg.write('b', '2', 1, 2),
      reg.read('c', '1', 3, 4),
      reg.write('b', '3', 5, 6),
      reg.read('c', '1', 7, 8),
    ];
    expect(check(ops).verdict).toBe('illegal');
    expect(check(ops.slice(0, 4)).verdict).toBe('ok');
  });

  it('checks compare-and-set, failing on an absent value', () => {
    expect(check([reg.cas('a', '1', '2', false, 0, 1)]).verdict).toBe('ok');
    expect(check([reg.cas('a', '1', '2', true, 0, 1)]).verdict).toBe('illegal');
    const written = reg.write('a', '1', 0, 1);
    expect(check([written, reg.cas('a', '1', '2', true, 2, 3), reg.read('b', '2', 4, 5)]).verdict).toBe('ok');
    expect(check([written, reg.cas('a', '1', '2', false, 2, 3)]).verdict).toBe('illegal');
    expect(check([written, reg.cas('a', '1', '2', true, 2, 3), reg.cas('b', '1', '3', true, 4, 5)]).verdict).toBe('illegal');
    // An unknown cas may or may not have applied.
    const unknownCas = reg.cas('a', '1', '2', null, 2, null);
    expect(check([written, unknownCas, reg.read('b', '2', 4, 5)]).verdict).toBe('ok');
    expect(check([written, unknownCas, reg.read('b', '1', 4, 5)]).verdict).toBe('ok');
    expect(check([written, unknownCas, reg.read('b', '3', 4, 5)]).verdict).toBe('illegal');
  });

  it('accepts a read with unknown output anywhere', () => {
    const blindRead: RegOp = { client: 'b', key: 'r', input: { kind: 'read' }, output: null, callTime: 2, returnTime: 3 };
    expect(check([reg.write('a', '1', 0, 1), blindRead]).verdict).toBe('ok');
  });

  it('rejects an operation that returns before it is called', () => {
    expect(() => check([reg.read('a', null, 5, 4)])).toThrow(/before its call/);
  });
});

describe('budget', () => {
  /** Many concurrent unknown writes and reads that no order satisfies: a search that needs time. */
  function hardHistory(): RegOp[] {
    const ops: RegOp[] = [];
    for (let i = 0; i < 11; i++) ops.push(reg.write(`w${i}`, String(i), 0, null));
    ops.push(reg.read('r', '0', 1, 2), reg.read('r', '1', 3, 4), reg.read('r', '0', 5, 6));
    return ops;
  }

  it('stops with unknown, never ok, once the deadline passes', () => {
    let now = 0;
    const r = checkHistory({ model: registerModel, operations: hardHistory() }, { timeoutMs: 5, nowMs: () => now++ });
    expect(r.verdict).toBe('unknown');
    expect(r.keys[0]?.verdict).toBe('unknown');
  });

  it('reaches the real verdict when the budget allows', () => {
    expect(checkHistory({ model: registerModel, operations: hardHistory() }, { timeoutMs: 30_000 }).verdict).toBe('illegal');
  });

  it('marks keys not started before the deadline as unknown', () => {
    let now = 0;
    const ops = [reg.write('a', '1', 0, 1), { ...reg.write('a', '1', 0, 1), key: 'other' }];
    const r = checkHistory({ model: registerModel, operations: ops }, { deadlineMs: 0.5, nowMs: () => now++ });
    expect(r.verdict).toBe('unknown');
    expect(r.keys.map((k) => k.verdict)).toEqual(['unknown', 'unknown']);
  });
});

describe('P-compositionality', () => {
  it('checks keys independently and reports only the bad one', () => {
    const good = [reg.write('a', '1', 0, 1), reg.read('b', '1', 2, 3)];
    const bad = [reg.write('a', '1', 0, 1), reg.read('b', null, 2, 3)].map((o) => ({ ...o, key: 'bad' }));
    const r = check([...good, ...bad]);
    expect(r.verdict).toBe('illegal');
    expect(r.keys.map((k) => [k.key, k.verdict])).toEqual([
      ['r', 'ok'],
      ['bad', 'illegal'],
    ]);
  });

  it('does not let one key satisfy another key’s read', () => {
    const ops = [reg.write('a', '1', 0, 1), { ...reg.read('b', '1', 2, 3), key: 'other' }];
    expect(check(ops).verdict).toBe('illegal');
  });
});
