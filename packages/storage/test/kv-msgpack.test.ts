/**
 * The hand-written record encodings are byte for byte what msgpackr wrote before them (the
 * reference below is the earlier encoder), so stored data, digests and snapshots are unchanged
 * and every record still decodes.
 */
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { groupId } from '@ringkv/stdx';
import { CHECKSUM_SIZE_BYTES, sealRecord } from '../src/checksum';
import type { JsonValue, KvRecord, SessionRecord, Value } from '../src/interfaces';
import { decodeRecord, decodeRecordMeta, decodeSession, encodeRecord, encodeSession } from '../src/kv-codec';
import { dataKey, sessionKey } from '../src/kv-keys';
import { MsgpackReader, arrayHeaderSizeBytes, numberSizeBytes, uintSizeBytes, writeArrayHeader, writeNumber, writeUint } from '../src/kv-msgpack';

const packr = new Packr({ useRecords: false, moreTypes: false });

/** Byte equality without vitest's element-by-element diffing (slow for large arrays). */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  if (!Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(expected)) expect(actual).toEqual(expected);
}
const P = groupId(4);

function referenceSeal(body: unknown[], key: Uint8Array): Uint8Array {
  const packed = packr.pack(body);
  const record = new Uint8Array(CHECKSUM_SIZE_BYTES + packed.length);
  record.set(packed, CHECKSUM_SIZE_BYTES);
  return sealRecord(record, key);
}

function referenceRecord(storageKey: Uint8Array, record: KvRecord): Uint8Array {
  const v = record.value;
  const [kind, payload] = typeof v === 'string' ? [0, v] : v instanceof Uint8Array ? [1, new Uint8Array(v)] : [2, JSON.stringify(v)];
  const body: unknown[] = [1, kind, payload, record.version, record.createRevision, record.modRevision];
  if (record.expiresAtMs !== undefined) body.push(record.expiresAtMs);
  return referenceSeal(body, storageKey);
}

/** Every integer width msgpack has, its boundaries, and float64 territory above 32 bits. */
const count = fc.oneof(
  fc.constantFrom(0, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xffffffff, 0x100000000, 1_700_000_000_000, Number.MAX_SAFE_INTEGER),
  fc.nat(),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);
/** Any UTF-16 units, lone surrogates included, short (msgpackr's own loop) and long (Buffer's encoder). */
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 300 }),
  fc.string({ unit: 'grapheme-ascii', minLength: 30, maxLength: 300 }),
);
const value: fc.Arbitrary<Value> = fc.oneof(
  text,
  fc.uint8Array({ maxLength: 300 }),
  fc.jsonValue().map((j) => j as JsonValue),
);
const userKey = fc.uint8Array({ minLength: 1, maxLength: 64 });

describe('hand-written msgpack records', () => {
  it('writes integers as msgpackr does, at every width', () => {
    fc.assert(
      fc.property(count, (n) => {
        const out = new Uint8Array(uintSizeBytes(n));
        expect(writeUint(out, 0, n)).toBe(out.length);
        expectSameBytes(out, packr.pack(n));
      }),
    );
  });

  it('writes numbers >= 0 and array headers as msgpackr does, and reads the numbers back', () => {
    const number = fc.oneof(count, fc.double({ min: 0, max: 1e300, noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0.5, 2 ** 32 + 0.5, 1e-300));
    fc.assert(
      fc.property(number, (n) => {
        const out = new Uint8Array(numberSizeBytes(n));
        expect(writeNumber(out, 0, n)).toBe(out.length);
        expectSameBytes(out, packr.pack(n));
        const reader = new MsgpackReader(out, 0);
        expect(reader.number()).toBe(n === 0 ? 0 : n);
        expect(reader.atEnd).toBe(true);
      }),
    );
    for (const bad of [packr.pack(-1), packr.pack(-0.5), packr.pack(Infinity), packr.pack(NaN), packr.pack('1')]) expect(new MsgpackReader(bad, 0).number()).toBe(-1);
    fc.assert(
      fc.property(fc.oneof(fc.nat(20), fc.constantFrom(15, 16, 0xffff, 0x10000), fc.nat(100_000)), (length) => {
        const out = new Uint8Array(arrayHeaderSizeBytes(length));
        expect(writeArrayHeader(out, 0, length)).toBe(out.length);
        const reference = packr.pack(new Array(length).fill(0));
        expectSameBytes(out, reference.subarray(0, out.length));
        expect(reference.length).toBe(out.length + length);
      }),
      { numRuns: 60 },
    );
  });

  it('encodes data records byte for byte as msgpackr did, and they decode to their read-back form', () => {
    fc.assert(
      fc.property(userKey, value, count, count, count, fc.option(count, { nil: undefined }), (key, v, version, createRevision, modRevision, expiresAtMs) => {
        const record: KvRecord = expiresAtMs === undefined ? { value: v, version, createRevision, modRevision } : { value: v, version, createRevision, modRevision, expiresAtMs };
        const storageKey = dataKey(P, key);
        const { stored, readBack } = encodeRecord(storageKey, record);
        expectSameBytes(stored, referenceRecord(storageKey, record));
        // (A string with a lone surrogate reads back with U+FFFD in its place, as it always has:
        // UTF-8 cannot hold one. So only well-formed text is compared with its read-back form.)
        if (typeof v !== 'string' || Buffer.from(v, 'utf8').toString('utf8') === v) expect(decodeRecord(P, key, storageKey, stored)).toEqual(readBack);
        // The numbers alone, read around the payload without decoding it, are the record's.
        const { value: _value, ...meta } = record;
        expect(decodeRecordMeta(P, key, storageKey, stored)).toStrictEqual(meta);
      }),
      { numRuns: 300 },
    );
  });

  it('encodes values whose size needs each str and bin header width', () => {
    const storageKey = dataKey(P, new Uint8Array([1]));
    for (const n of [0, 31, 32, 63, 64, 255, 256, 65_535, 65_536, 200_000]) {
      for (const v of ['x'.repeat(n), 'é'.repeat(Math.ceil(n / 2)), new Uint8Array(n).fill(7)]) {
        const record: KvRecord = { value: v, version: 1, createRevision: 2, modRevision: 3 };
        const { stored } = encodeRecord(storageKey, record);
        expectSameBytes(stored, referenceRecord(storageKey, record));
        expect(decodeRecordMeta(P, new Uint8Array([1]), storageKey, stored)).toStrictEqual({ version: 1, createRevision: 2, modRevision: 3 });
      }
    }
  });

  it('writes a lone surrogate as msgpackr does: its 3-byte form below 64 UTF-16 units, U+FFFD from 64 on', () => {
    const storageKey = dataKey(P, new Uint8Array([2]));
    for (let n = 1; n <= 100; n++) {
      for (const v of ['a'.repeat(n - 1) + '\ud800', '\udc00' + 'b'.repeat(n - 1), 'c'.repeat(n - 1) + '\ud83d\ude00']) {
        const record: KvRecord = { value: v, version: 1, createRevision: 1, modRevision: 1 };
        expectSameBytes(encodeRecord(storageKey, record).stored, referenceRecord(storageKey, record));
      }
    }
  });

  it('encodes session records byte for byte as msgpackr did, and they decode back', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), count, fc.uint8Array({ maxLength: 600 }), count, (clientId, lastSeq, answer, lastSeenMs) => {
        const session: SessionRecord = { lastSeq, answer, lastSeenMs };
        const storageKey = sessionKey(P, clientId);
        const stored = encodeSession(storageKey, session);
        expectSameBytes(stored, referenceSeal([1, lastSeq, answer, lastSeenMs], storageKey));
        expect(decodeSession(P, storageKey, stored)).toEqual(session);
      }),
      { numRuns: 300 },
    );
  });
});

describe('MsgpackReader', () => {
  const pack = (value: unknown): Uint8Array => new Uint8Array(packr.pack(value));

  it('reads arrays, strs, bins and nils as msgpackr writes them, of every header size', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 1 }), { maxLength: 70_000 }).map((a) => a.length),
        fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 70_000 }),
        fc.uint8Array({ maxLength: 70_000 }),
        fc.boolean(),
        (arrayLength, text, bytes, withNil) => {
          const data = pack([new Array(arrayLength).fill(null), text, new Uint8Array(bytes), withNil ? null : 7]);
          const r = new MsgpackReader(data, 0);
          expect(r.arrayLength()).toBe(4);
          expect(r.arrayLength()).toBe(arrayLength);
          for (let i = 0; i < arrayLength; i++) expect(r.nil()).toBe(true);
          expect(r.ascii(r.strLength())).toBe(text);
          expect(r.view(r.binLength())).toEqual(new Uint8Array(bytes));
          expect(r.nil()).toBe(withNil);
          if (!withNil) expect(r.uint()).toBe(7);
          expect(r.atEnd).toBe(true);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('fails for good: text that is not ASCII, a header of another type, reading past the end', () => {
    const nonAscii = new MsgpackReader(pack('caf\u00e9'), 0);
    expect(nonAscii.ascii(nonAscii.strLength())).toBeUndefined();
    expect(nonAscii.pos).toBe(-1);
    const wrong = new MsgpackReader(pack('text'), 0);
    expect(wrong.binLength()).toBe(-1);
    // Nothing after a failure reads again, skips included.
    expect(wrong.view(2)).toBeUndefined();
    expect(wrong.byte()).toBe(-1);
    expect(wrong.atEnd).toBe(false);
    const cut = new MsgpackReader(pack('text').subarray(0, 3), 0);
    expect(cut.ascii(cut.strLength())).toBeUndefined();
    expect(cut.atEnd).toBe(false);
  });
});
