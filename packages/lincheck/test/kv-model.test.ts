import { describe, expect, it } from 'vitest';
import { checkHistory } from '../src/checker';
import { ILLEGAL } from '../src/model';
import { kvModel } from '../src/models/kv-model';
import type { Operation } from '../src/operation';
import type { KvInput, KvOutput } from '../src/ringkv-history';

type KvOp = Operation<KvInput, KvOutput>;
let t = 0;
/** Sequential operations on key k by default: each one after the previous. */
function op(input: KvInput, output: KvOutput | null, client = 'c', key = 'k'): KvOp {
  const callTime = t++;
  return { client, key, input, output, callTime, returnTime: output === null ? Infinity : t++ };
}
const check = (ops: KvOp[]) => checkHistory({ model: kvModel, operations: ops }).verdict;

describe('kv model step', () => {
  it('counts versions from creation and resets them on delete', () => {
    let s = kvModel.init();
    expect(kvModel.step(s, { op: 'get' }, { found: false })).toBe(null);
    s = kvModel.step(s, { op: 'put', value: 'a' }, { ok: true, version: 1 }) as typeof s;
    expect(s).toEqual({ value: 'a', version: 1 });
    s = kvModel.step(s, { op: 'put', value: 'b' }, { ok: true, version: 2 }) as typeof s;
    expect(kvModel.step(s, { op: 'get' }, { found: true, value: 'b', version: 2 })).toEqual({ value: 'b', version: 2 });
    expect(kvModel.step(s, { op: 'get' }, { found: true, value: 'b', version: 1 })).toBe(ILLEGAL);
    expect(kvModel.step(s, { op: 'put', value: 'c' }, { ok: true, version: 2 })).toBe(ILLEGAL);
    s = kvModel.step(s, { op: 'delete' }, { ok: true, deleted: true }) as typeof s;
    expect(s).toBe(null);
    expect(kvModel.step(s, { op: 'delete' }, { ok: true, deleted: true })).toBe(ILLEGAL);
    expect(kvModel.step(s, { op: 'delete' }, { ok: true, deleted: false })).toBe(null);
    expect(kvModel.step(s, { op: 'put', value: 'd' }, { ok: true, version: 1 })).toEqual({ value: 'd', version: 1 });
  });

  it('applies conditional writes only at the expected version', () => {
    const s = { value: 'a', version: 3 };
    expect(kvModel.step(s, { op: 'put', value: 'b', ifVersion: 3 }, { ok: true, version: 4 })).toEqual({ value: 'b', version: 4 });
    expect(kvModel.step(s, { op: 'put', value: 'b', ifVersion: 2 }, { ok: true, version: 4 })).toBe(ILLEGAL);
    expect(kvModel.step(s, { op: 'put', value: 'b', ifVersion: 2 }, { ok: false, code: 'CONDITION_FAILED', currentVersion: 3 })).toBe(s);
    expect(kvModel.step(s, { op: 'put', value: 'b', ifVersion: 2 }, { ok: false, code: 'CONDITION_FAILED', currentVersion: 2 })).toBe(ILLEGAL);
    expect(kvModel.step(s, { op: 'put', value: 'b', ifVersion: 3 }, { ok: false, code: 'CONDITION_FAILED', currentVersion: 3 })).toBe(ILLEGAL);
    expect(kvModel.step(null, { op: 'put', value: 'b', ifVersion: 0 }, { ok: true, version: 1 })).toEqual({ value: 'b', version: 1 });
    expect(kvModel.step(s, { op: 'put', value: 'b', ifVersion: 0 }, { ok: false, code: 'CONDITION_FAILED', currentVersion: 3 })).toBe(s);
    expect(kvModel.step(s, { op: 'delete', ifVersion: 3 }, { ok: true, deleted: true })).toBe(null);
    expect(kvModel.step(s, { op: 'delete', ifVersion: 1 }, { ok: false, code: 'CONDITION_FAILED', currentVersion: 3 })).toBe(s);
    // Unknown outcome: the write happens only if its condition holds.
    expect(kvModel.step(s, { op: 'put', value: 'b', ifVersion: 1 }, null)).toBe(s);
    expect(kvModel.step(s, { op: 'delete', ifVersion: 3 }, null)).toBe(null);
  });
});

describe('kv model: every answer that contradicts the state is illegal', () => {
  const s = { value: 'a', version: 3 };
  it('reads: a value on an absent key, and an answer of the wrong shape', () => {
    expect(kvModel.step(null, { op: 'get' }, { found: true, value: 'a', version: 1 })).toBe(ILLEGAL);
    expect(kvModel.step(s, { op: 'get' }, { found: false })).toBe(ILLEGAL);
    expect(kvModel.step(s, { op: 'get' }, { found: true, value: 'x', version: 3 })).toBe(ILLEGAL);
    expect(kvModel.step(s, { op: 'get' }, { ok: true, version: 3 } as KvOutput)).toBe(ILLEGAL);
    expect(kvModel.step(s, { op: 'get' }, null)).toBe(s);
  });

  it('puts and deletes: an answer of the wrong shape', () => {
    expect(kvModel.step(s, { op: 'put', value: 'b' }, { found: false } as KvOutput)).toBe(ILLEGAL);
    expect(kvModel.step(s, { op: 'delete' }, { found: false } as KvOutput)).toBe(ILLEGAL);
    expect(kvModel.step(s, { op: 'put', value: 'b' }, { ok: true, deleted: true } as KvOutput)).toBe(ILLEGAL);
  });

  it("deletes: 'deleted' must say whether the key existed, and a failed condition must be a real one", () => {
    expect(kvModel.step(s, { op: 'delete' }, { ok: true, deleted: false })).toBe(ILLEGAL);
    expect(kvModel.step(null, { op: 'delete' }, { ok: true, deleted: true })).toBe(ILLEGAL);
    expect(kvModel.step(s, { op: 'delete' }, { ok: true, version: 4 } as KvOutput)).toBe(ILLEGAL);
    expect(kvModel.step(s, { op: 'delete', ifVersion: 2 }, { ok: true, deleted: true })).toBe(ILLEGAL);
    expect(kvModel.step(s, { op: 'delete', ifVersion: 3 }, { ok: false, code: 'CONDITION_FAILED', currentVersion: 3 })).toBe(ILLEGAL);
    expect(kvModel.step(s, { op: 'delete', ifVersion: 2 }, { ok: false, code: 'CONDITION_FAILED', currentVersion: 2 })).toBe(ILLEGAL);
    expect(kvModel.step(s, { op: 'delete', ifVersion: 2 }, null)).toBe(s);
    expect(kvModel.step(null, { op: 'delete', ifVersion: 0 }, { ok: true, deleted: false })).toBe(null);
  });

  it('puts: the acknowledged version must be the next one, and only when the condition holds', () => {
    expect(kvModel.step(s, { op: 'put', value: 'b' }, { ok: true, version: 3 })).toBe(ILLEGAL);
    expect(kvModel.step(null, { op: 'put', value: 'b', ifVersion: 1 }, { ok: true, version: 1 })).toBe(ILLEGAL);
    expect(kvModel.step(null, { op: 'put', value: 'b', ifVersion: 1 }, null)).toBe(null);
  });

  it('tells states apart by value and version (the search memoizes by them)', () => {
    const same = { value: 'a', version: 3 };
    expect(kvModel.equal(s, same)).toBe(true);
    expect(kvModel.hash(s)).toBe(kvModel.hash(same));
    expect(kvModel.equal(null, null)).toBe(true);
    for (const other of [null, { value: 'b', version: 3 }, { value: 'a', version: 4 }]) {
      expect(kvModel.equal(s, other)).toBe(false);
      expect(kvModel.equal(other, s)).toBe(false);
      expect(kvModel.hash(other)).not.toBe(kvModel.hash(s));
    }
  });
});

describe('kv histories', () => {
  it('accepts a consistent sequential history and rejects a lost acknowledged write', () => {
    const put1 = op({ op: 'put', value: 'a' }, { ok: true, version: 1 });
    const put2 = op({ op: 'put', value: 'b', ifVersion: 1 }, { ok: true, version: 2 });
    expect(check([put1, put2, op({ op: 'get' }, { found: true, value: 'b', version: 2 })])).toBe('ok');
    expect(check([put1, put2, op({ op: 'get' }, { found: true, value: 'a', version: 1 })])).toBe('illegal');
  });

  it('lets racing conditional puts succeed at most once per version', () => {
    const base = op({ op: 'put', value: 'a' }, { ok: true, version: 1 });
    const start = t;
    const racer = (client: string, value: string, output: KvOutput): KvOp => ({
      client,
      key: 'k',
      input: { op: 'put', value, ifVersion: 1 },
      output,
      callTime: start,
      returnTime: start + 5,
    });
    t = start + 10;
    const loser = racer('y', 'y', { ok: false, code: 'CONDITION_FAILED', currentVersion: 2 });
    expect(check([base, racer('x', 'x', { ok: true, version: 2 }), loser])).toBe('ok');
    expect(check([base, racer('x', 'x', { ok: true, version: 2 }), racer('y', 'y', { ok: true, version: 2 })])).toBe('illegal');
  });

  it('lets an unknown delete happen later, but not undo an acknowledged put after it', () => {
    const put = op({ op: 'put', value: 'a' }, { ok: true, version: 1 });
    const del = op({ op: 'delete' }, null);
    expect(check([put, del, op({ op: 'get' }, { found: true, value: 'a', version: 1 }), op({ op: 'get' }, { found: false })])).toBe('ok');
    expect(check([put, del, op({ op: 'get' }, { found: false }), op({ op: 'get' }, { found: true, value: 'a', version: 1 })])).toBe('illegal');
  });
});
