/**
 * Bad input never reaches the Store: oversized keys, values and batches answer TOO_LARGE, wrong
 * types BAD_REQUEST, always in the one error shape (`data.ringkv.code`), and nothing is written.
 */
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { createAppRouter, createCallerFactory, BATCH_OPS_MAX, KEY_SIZE_BYTES_MAX, VALUE_SIZE_BYTES_MAX } from '../src';
import { FakeKv } from './fake-kv';

const session = { clientId: 'c1', seq: 1 };

function setup() {
  const kv = new FakeKv();
  const router = createAppRouter({ kv });
  const caller = createCallerFactory(router)({});
  return { kv, router, caller };
}

/** The client-visible error shape, as the errorFormatter builds it. */
function shapeOf(router: ReturnType<typeof createAppRouter>, error: unknown) {
  expect(error).toBeInstanceOf(TRPCError);
  const e = error as TRPCError;
  return router._def._config.errorFormatter({
    error: e,
    type: 'mutation',
    path: 'x',
    input: undefined,
    ctx: {},
    shape: { message: e.message, code: -32600, data: { code: e.code, httpStatus: 400, path: 'x' } },
  }) as { data: { ringkv?: { code: string; currentVersion?: number } } };
}

async function codeOf(run: () => Promise<unknown>, router: ReturnType<typeof createAppRouter>): Promise<string | undefined> {
  try {
    await run();
  } catch (error) {
    return shapeOf(router, error).data.ringkv?.code;
  }
  throw new Error('expected the call to fail');
}

describe('input validation', () => {
  it('refuses an oversized key with TOO_LARGE and writes nothing', async () => {
    const { kv, router, caller } = setup();
    const key = 'k'.repeat(KEY_SIZE_BYTES_MAX + 1);
    expect(await codeOf(() => caller.kv.put({ key, value: { type: 'string', data: 'v' }, session }), router)).toBe('TOO_LARGE');
    // multi-byte characters count as their UTF-8 bytes
    const wide = 'é'.repeat(KEY_SIZE_BYTES_MAX / 2 + 1);
    expect(await codeOf(() => caller.kv.put({ key: wide, value: { type: 'string', data: 'v' }, session }), router)).toBe('TOO_LARGE');
    expect(kv.writes).toBe(0);
    // exactly at the limit is fine
    await caller.kv.put({ key: 'k'.repeat(KEY_SIZE_BYTES_MAX), value: { type: 'string', data: 'v' }, session });
    expect(kv.writes).toBe(1);
  });

  it('refuses oversized values of every kind', async () => {
    const { kv, router, caller } = setup();
    const big = 'x'.repeat(VALUE_SIZE_BYTES_MAX + 1);
    expect(await codeOf(() => caller.kv.put({ key: 'a', value: { type: 'string', data: big }, session }), router)).toBe('TOO_LARGE');
    expect(await codeOf(() => caller.kv.put({ key: 'a', value: { type: 'json', data: { big } }, session }), router)).toBe('TOO_LARGE');
    const bytes = Buffer.alloc(VALUE_SIZE_BYTES_MAX + 3).toString('base64');
    expect(await codeOf(() => caller.kv.put({ key: 'a', value: { type: 'bytes', data: bytes }, session }), router)).toBe('TOO_LARGE');
    expect(kv.writes).toBe(0);
  });

  it('refuses batches over 1000 ops or 8 MiB', async () => {
    const { kv, router, caller } = setup();
    const ops = Array.from({ length: BATCH_OPS_MAX + 1 }, (_, i) => ({ op: 'delete' as const, key: `k${i}` }));
    expect(await codeOf(() => caller.kv.writeBatch({ ops, session }), router)).toBe('TOO_LARGE');
    const value = { type: 'string' as const, data: 'v'.repeat(1000 * 1000) };
    const heavy = Array.from({ length: 9 }, (_, i) => ({ op: 'put' as const, key: `k${i}`, value }));
    expect(await codeOf(() => caller.kv.writeBatch({ ops: heavy, session }), router)).toBe('TOO_LARGE');
    expect(kv.writes).toBe(0);
  });

  it('answers wrong types and malformed input with BAD_REQUEST', async () => {
    const { kv, router, caller } = setup();
    const bad: Array<() => Promise<unknown>> = [
      () => caller.kv.put({ key: 42, value: { type: 'string', data: 'v' }, session } as never),
      () => caller.kv.put({ key: 'a', value: 'plain' as never, session }),
      () => caller.kv.put({ key: 'a', value: { type: 'bytes', data: 'not base64!' }, session }),
      () => caller.kv.put({ key: '', value: { type: 'string', data: 'v' }, session }),
      () => caller.kv.put({ key: 'a', value: { type: 'string', data: 'v' }, session: { clientId: 'c', seq: 0 } }),
      () => caller.kv.put({ key: 'a', value: { type: 'string', data: 'v' } } as never),
      () => caller.kv.put({ key: 'a', value: { type: 'string', data: 'v' }, session, extra: 1 } as never),
      () => caller.kv.put({ key: 'a', value: { type: 'string', data: 'v' }, ifVersion: -1, session }),
      () => caller.kv.delete({ key: { bytes: '%%%' }, session }),
      () => caller.kv.get({ key: 'a', consistency: 'eventual' as never }),
      () => caller.kv.scan({ prefix: 'a', cursor: '***' }),
      () => caller.kv.scan({ prefix: 'a', limit: 0 }),
    ];
    for (const run of bad) expect(await codeOf(run, router)).toBe('BAD_REQUEST');
    expect(kv.writes).toBe(0);
  });

  it('refuses text with a lone UTF-16 surrogate (no UTF-8 form) with BAD_REQUEST and writes nothing', async () => {
    const { kv, router, caller } = setup();
    const lone = 'a\uD800b';
    const bad: Array<() => Promise<unknown>> = [
      () => caller.kv.put({ key: lone, value: { type: 'string', data: 'v' }, session }),
      () => caller.kv.put({ key: 'a', value: { type: 'string', data: lone }, session }),
      () => caller.kv.put({ key: 'a', value: { type: 'json', data: { nested: [1, lone] } }, session }),
      () => caller.kv.put({ key: 'a', value: { type: 'json', data: { [lone]: 1 } }, session }),
      () => caller.kv.put({ key: 'a', value: { type: 'string', data: 'v' }, session: { clientId: lone, seq: 1 } }),
      () => caller.kv.writeBatch({ ops: [{ op: 'put', key: 'b', value: { type: 'string', data: '\uDFFF' } }], session }),
      () => caller.kv.get({ key: lone }),
    ];
    for (const run of bad) expect(await codeOf(run, router)).toBe('BAD_REQUEST');
    expect(kv.writes).toBe(0);
    // Surrogate pairs (emoji) are well-formed text.
    await caller.kv.put({ key: 'k\uD83D\uDE00', value: { type: 'json', data: { '\uD83D\uDE00': '\uD83D\uDE00' } }, session });
    expect(kv.writes).toBe(1);
  });

  it('maps a StoreError onto the one error shape with its data', async () => {
    const { router, caller } = setup();
    await caller.kv.put({ key: 'a', value: { type: 'string', data: 'v' }, session });
    let caught: unknown;
    try {
      await caller.kv.put({ key: 'a', value: { type: 'string', data: 'w' }, ifVersion: 5, session: { clientId: 'c1', seq: 2 } });
    } catch (error) {
      caught = error;
    }
    const shape = shapeOf(router, caught);
    expect(shape.data.ringkv).toEqual({ code: 'CONDITION_FAILED', currentVersion: 1 });
    expect((caught as TRPCError).code).toBe('CONFLICT');
  });
});

describe('scan', () => {
  it('merges partitions in key order and pages with a cursor', async () => {
    const { caller } = setup();
    const keys = ['a1', 'b2', 'c3', 'a4', 'd5', 'b6', 'c7', 'zz'];
    let seq = 1;
    for (const key of keys) await caller.kv.put({ key, value: { type: 'string', data: key }, session: { clientId: 'c', seq: seq++ } });
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const out = await caller.kv.scan({ prefix: '', limit: 3, cursor });
      seen.push(...out.entries.map((e) => e.key as string));
      if (out.cursor === null) break;
      cursor = out.cursor;
    }
    expect(seen).toEqual([...keys].sort());
    const only = await caller.kv.scan({ prefix: 'b' });
    expect(only.entries.map((e) => e.key)).toEqual(['b2', 'b6']);
    expect(only.cursor).toBeNull();
  });
});

describe('error messages for bad input', () => {
  const messageOf = async (run: () => Promise<unknown>): Promise<string> => {
    const error = await run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TRPCError);
    return (error as TRPCError).message;
  };

  it("say what is wrong and where, in words, not as the validator's JSON", async () => {
    const { caller } = setup();
    const big = 'x'.repeat(VALUE_SIZE_BYTES_MAX + 1);
    expect(await messageOf(() => caller.kv.put({ key: 'k', value: { type: 'string', data: big }, session }))).toBe(
      `invalid input: value: value is ${VALUE_SIZE_BYTES_MAX + 1} bytes, over the ${VALUE_SIZE_BYTES_MAX}-byte limit`,
    );
    const wrong = await messageOf(() => caller.kv.put({ key: 7, value: 'v' } as never));
    expect(wrong.startsWith('invalid input: key: ')).toBe(true);
    expect(wrong).toContain('value: ');
    expect(wrong).toContain('session: ');
    expect(wrong).not.toContain('"code"');
    // Many issues: the first five spelled out, the rest counted.
    const ops = Array.from({ length: 8 }, () => ({ op: 'put', key: 'k' }));
    expect(await messageOf(() => caller.kv.writeBatch({ ops, session } as never))).toMatch(/; and \d+ more$/);
  });
});
