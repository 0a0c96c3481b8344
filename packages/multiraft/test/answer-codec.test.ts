/**
 * A write's answer is saved with its session and returned again, decoded, to a retry. The
 * hand-written encoding of a successful answer must be the bytes msgpackr writes for it (the
 * encoding before it), so sessions saved by either decode alike and replicas agree byte for byte.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pack } from '../src/codec';
import { decodeAnswer, encodeAnswer } from '../src/commands';
import type { Answer } from '../src/commands';

const count = fc.oneof(
  fc.constantFrom(0, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xffffffff, 0x100000000, Number.MAX_SAFE_INTEGER),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);

/** The answers applyOps builds, fields in its order. */
const okAnswer: fc.Arbitrary<Answer> = fc.oneof(
  fc.tuple(count, count, count).map(([version, createRevision, modRevision]): Answer => ({ ok: true, result: { version, createRevision, modRevision } })),
  fc.tuple(fc.boolean(), count).map(([deleted, revision]): Answer => ({ ok: true, result: { deleted, revision } })),
  count.map((revision): Answer => ({ ok: true, result: { revision } })),
);

describe('answer codec', () => {
  it('writes a successful answer as msgpackr wrote [1, result], and decodes it back', () => {
    fc.assert(
      fc.property(okAnswer, (answer) => {
        const bytes = encodeAnswer(answer);
        const reference = pack([1, (answer as Extract<Answer, { ok: true }>).result]);
        expect(Buffer.from(bytes).equals(reference)).toBe(true);
        expect(decodeAnswer(bytes)).toEqual(answer);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips a failed answer, in its own bytes (not a view of a shared buffer)', () => {
    const answer: Answer = { ok: false, code: 'CONDITION_FAILED', message: 'key "a" is at version 2, not 1', data: { partition: 3, currentVersion: 2 } };
    const bytes = encodeAnswer(answer);
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(bytes.length);
    expect(decodeAnswer(bytes)).toEqual(answer);
  });
});
