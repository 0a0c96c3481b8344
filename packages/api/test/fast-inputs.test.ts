/**
 * The hand checks of the common write inputs against the zod schemas they stand in front of:
 * whatever a hand check answers, the schema answers the same; and the hand checks do answer the
 * plain shapes (else they would be dead weight, and this test would not notice).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { z } from 'zod';
import { fastPipelineInput, fastPutInput } from '../src/fast-inputs';
import { CLIENT_ID_LENGTH_MAX, KEY_SIZE_BYTES_MAX, PIPELINE_CALLS_MAX, VALUE_SIZE_BYTES_MAX } from '../src/limits';
import { pipelineInput, putInput } from '../src/schemas';

/** Strings near every limit and check: empty, long, multi-byte, lone surrogates. */
const text = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom('', 'a\uD800b', '\uDC00', 'é'.repeat(KEY_SIZE_BYTES_MAX / 2), 'é'.repeat(KEY_SIZE_BYTES_MAX / 2 + 1), 'k'.repeat(KEY_SIZE_BYTES_MAX + 1)),
  fc.integer({ min: CLIENT_ID_LENGTH_MAX - 1, max: CLIENT_ID_LENGTH_MAX + 1 }).map((n) => 'c'.repeat(n)),
);
const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, 1, 2 ** 53 - 1, 2 ** 53, -1, 1.5, NaN, Infinity));

/** Mostly the plain shape, each part sometimes spoiled: a wrong type, a missing or extra key. */
function maybe<T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 12, arbitrary: good }, { weight: 1, arbitrary: fc.anything() });
}

/** Sometimes (1 in 5 each) with extra keys, or with some of its keys dropped. */
function withExtras(record: fc.Arbitrary<Record<string, unknown>>, extras: readonly string[]): fc.Arbitrary<unknown> {
  const keys = ['key', 'value', 'session', 'type', 'data', 'clientId', 'seq', 'calls', 'path', 'input'];
  const some = (list: string[]) => fc.oneof({ weight: 4, arbitrary: fc.constant<string[]>([]) }, { weight: 1, arbitrary: fc.subarray(list, { minLength: 1 }) });
  return fc.tuple(record, some([...extras]), some(keys), number).map(([r, add, drop, v]) => {
    const out: Record<string, unknown> = { ...r };
    for (const k of add) out[k] = v;
    for (const k of drop) delete out[k];
    return out;
  });
}

const type = fc.oneof({ weight: 4, arbitrary: fc.constant('string') }, { weight: 1, arbitrary: fc.constantFrom('json', 'bytes', 'other') });
const seq = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) }, { weight: 1, arbitrary: number });
const value = withExtras(fc.record({ type: maybe(type), data: maybe(text) }), ['extra']);
const session = withExtras(fc.record({ clientId: maybe(text), seq: maybe(seq) }), ['extra']);
const put = withExtras(fc.record({ key: maybe(text), value: maybe(value), session: maybe(session) }), ['ifVersion', 'ttlMs', 'extra']);

/**
 * Checks over `numRuns` generated inputs that whatever `fast` answers, `schema` accepts and
 * answers the same; returns how many inputs `fast` answered.
 */
function answeredAsSchema(inputs: fc.Arbitrary<unknown>, fast: (raw: unknown) => unknown, schema: z.ZodType, numRuns: number): number {
  let answered = 0;
  fc.assert(
    fc.property(inputs, (raw) => {
      const early = fast(raw);
      if (early === undefined) return;
      answered++;
      const parsed = schema.safeParse(raw);
      expect(parsed.success).toBe(true);
      expect(early).toStrictEqual(parsed.data);
    }),
    { numRuns },
  );
  return answered;
}

describe('fastPutInput', () => {
  it('answers only what putInput answers', () => {
    // ~6 % of the generated inputs are the plain shape (and the rest mostly near it).
    expect(answeredAsSchema(put, fastPutInput, putInput, 5000)).toBeGreaterThan(100);
  });

  it('answers the plain shape itself, up to each limit and not past it', () => {
    const plain = (key: string, data: string, clientId = 'c1', seq = 1) => ({ key, value: { type: 'string', data }, session: { clientId, seq } });
    const inLimits = [
      plain('k', ''),
      plain('é'.repeat(KEY_SIZE_BYTES_MAX / 2), 'x'.repeat(VALUE_SIZE_BYTES_MAX)),
      plain('k', 'v', 'c'.repeat(CLIENT_ID_LENGTH_MAX), Number.MAX_SAFE_INTEGER),
      plain('😀', '😀 ok'),
    ];
    for (const raw of inLimits) {
      expect(fastPutInput(raw)).toStrictEqual(putInput.parse(raw));
    }
    const pastLimits = [
      plain('', 'v'),
      plain('k'.repeat(KEY_SIZE_BYTES_MAX + 1), 'v'),
      plain('k', 'x'.repeat(VALUE_SIZE_BYTES_MAX + 1)),
      plain('k', 'v', ''),
      plain('k', 'v', 'c'.repeat(CLIENT_ID_LENGTH_MAX + 1)),
      plain('k', 'v', 'c', 0),
      plain('k', 'v', 'c', 1.5),
      plain('a\uD800', 'v'),
      plain('k', 'v\uDFFF'),
    ];
    for (const raw of pastLimits) {
      expect(fastPutInput(raw)).toBeUndefined();
      expect(putInput.safeParse(raw).success).toBe(false);
    }
    // Valid, but not the plain shape: left to the schema.
    expect(fastPutInput({ ...plain('k', 'v'), ifVersion: 3 })).toBeUndefined();
    expect(fastPutInput({ key: 'k', value: { type: 'json', data: 'v' }, session: { clientId: 'c', seq: 1 } })).toBeUndefined();
  });
});

describe('fastPipelineInput', () => {
  const call = withExtras(fc.record({ path: maybe(fc.constantFrom('kv.get', 'kv.put', 'kv.delete', 'kv.scan')), input: fc.anything() }), ['extra']);
  const pipeline = fc.oneof(
    withExtras(fc.record({ calls: maybe(fc.array(call, { maxLength: 6 })) }), ['extra']),
    fc.integer({ min: PIPELINE_CALLS_MAX - 1, max: PIPELINE_CALLS_MAX + 1 }).map((n) => ({ calls: Array.from({ length: n }, () => ({ path: 'kv.put', input: n })) })),
  );

  it('answers only what pipelineInput answers', () => {
    expect(answeredAsSchema(pipeline, fastPipelineInput, pipelineInput, 3000)).toBeGreaterThan(300);
  });

  it('answers the plain shape itself', () => {
    const raw = { calls: [{ path: 'kv.put', input: { key: 'k' } }, { path: 'kv.get', input: undefined }] };
    expect(fastPipelineInput(raw)).toStrictEqual(pipelineInput.parse(raw));
    expect(fastPipelineInput({ calls: [] })).toBeUndefined();
    expect(fastPipelineInput({ calls: [{ path: 'kv.scan', input: 1 }] })).toBeUndefined();
  });
});
