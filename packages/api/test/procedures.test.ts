/**
 * The routers' query/mutation builders (src/trpc.ts) validate inside the resolver instead of
 * through tRPC's `.input()` middleware. What must not change: the procedure types the SDK infers
 * its wire types from, and the error a bad input gets (a BAD_REQUEST TRPCError caused by the
 * ZodError, classified TOO_LARGE or BAD_REQUEST), and the Store never sees it.
 */
import { TRPCError } from '@trpc/server';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { AppRouter } from '../src';
import { createAppRouter, createCallerFactory, GET_MANY_KEYS_MAX, KEY_SIZE_BYTES_MAX } from '../src';
import { ringkvDataOf } from '../src/errors';
import type { deleteInput, getInput, getManyInput, putInput, scanInput, scanPartitionInput, writeBatchInput } from '../src/schemas';
import type { ReadOptions } from '@ringkv/multiraft';
import { FakeKv } from './fake-kv';

/** Records the read options the router hands the Store. */
class RecordingKv extends FakeKv {
  readonly reads: ReadOptions[] = [];
  override async get(key: Uint8Array, options?: ReadOptions) {
    if (options !== undefined) this.reads.push(options);
    return super.get(key);
  }
}

type Inputs = inferRouterInputs<AppRouter>;
type Outputs = inferRouterOutputs<AppRouter>;

describe('procedure builders', () => {
  it('keep the input types that .input(schema) gives (the SDK infers its wire types from them)', () => {
    expectTypeOf<Inputs['kv']['get']>().toEqualTypeOf<z.input<typeof getInput>>();
    expectTypeOf<Inputs['kv']['getMany']>().toEqualTypeOf<z.input<typeof getManyInput>>();
    expectTypeOf<Inputs['kv']['put']>().toEqualTypeOf<z.input<typeof putInput>>();
    expectTypeOf<Inputs['kv']['delete']>().toEqualTypeOf<z.input<typeof deleteInput>>();
    expectTypeOf<Inputs['kv']['writeBatch']>().toEqualTypeOf<z.input<typeof writeBatchInput>>();
    expectTypeOf<Inputs['kv']['scan']>().toEqualTypeOf<z.input<typeof scanInput>>();
    expectTypeOf<Inputs['kv']['scanPartition']>().toEqualTypeOf<z.input<typeof scanPartitionInput>>();
    expectTypeOf<Outputs['kv']['get']['revision']>().toEqualTypeOf<number>();
    expectTypeOf<Outputs['kv']['put']['version']>().toEqualTypeOf<number>();
  });

  it('fail bad input as tRPC input validation did: BAD_REQUEST caused by the ZodError', async () => {
    const kv = new FakeKv();
    const caller = createCallerFactory(createAppRouter({ kv }))({});
    const failures: Array<[() => Promise<unknown>, 'BAD_REQUEST' | 'TOO_LARGE']> = [
      [() => caller.kv.get({ key: 7 } as never), 'BAD_REQUEST'],
      [() => caller.kv.get({ key: 'k'.repeat(KEY_SIZE_BYTES_MAX + 1) }), 'TOO_LARGE'],
      [() => caller.kv.getMany({ keys: Array.from({ length: GET_MANY_KEYS_MAX + 1 }, (_, i) => `k${i}`) }), 'TOO_LARGE'],
      [() => caller.kv.put({ key: 'a', value: { type: 'string', data: 'v' } } as never), 'BAD_REQUEST'],
      [() => caller.kv.delete({ key: 'a', session: { clientId: '', seq: 1 } }), 'BAD_REQUEST'],
      [() => caller.kv.writeBatch({ ops: [], session: { clientId: 'c', seq: 1 } }), 'BAD_REQUEST'],
      [() => caller.kv.scanPartition({ partition: -1, prefix: '', limit: 1 }), 'BAD_REQUEST'],
      [() => (caller.kv.get as (input: unknown) => Promise<unknown>)(undefined), 'BAD_REQUEST'],
    ];
    for (const [run, code] of failures) {
      const error = await run().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe('BAD_REQUEST');
      expect((error as TRPCError).cause).toBeInstanceOf(z.ZodError);
      expect(ringkvDataOf(error as TRPCError)).toEqual({ code });
    }
    expect(kv.writes).toBe(0);
  });

  it('hand the resolver the parsed input, defaults applied', async () => {
    const kv = new RecordingKv();
    const caller = createCallerFactory(createAppRouter({ kv }))({});
    await caller.kv.put({ key: 'a', value: { type: 'string', data: 'v' }, session: { clientId: 'c', seq: 1 } });
    const out = await caller.kv.get({ key: 'a' });
    expect(out.entry?.value).toEqual({ type: 'string', data: 'v' });
    expect(kv.reads).toEqual([{ consistency: 'linearizable' }]);
  });
});
