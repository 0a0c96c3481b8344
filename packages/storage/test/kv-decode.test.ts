/**
 * The KV engine's stored records read back only when every field is what the writer wrote: a
 * record whose checksum is right but whose body is not (written by a buggy or foreign version,
 * or imported from a peer's snapshot) is a CorruptionError naming what is wrong, never data.
 * Each malformed body below breaks exactly one rule, so each check is pinned on its own.
 */
import { describe, expect, it } from 'vitest';
import { groupId, utf8Encode } from '@ringkv/stdx';
import { CHECKSUM_SIZE_BYTES, sealRecord } from '../src/checksum';
import { decodeApplied, decodeRecord, decodeRecordMeta, decodeSession, encodeApplied, encodeRecord, encodeSession } from '../src/kv-codec';
import { appliedKey, dataKey, sessionKey } from '../src/kv-keys';
import { corruption, sealedBody } from './helpers';

const P = groupId(3);
const userKey = utf8Encode('user/1');
const storageKey = dataKey(P, userKey);
const sKey = sessionKey(P, 'client-1');
const aKey = appliedKey(P);

const bytes = Uint8Array.of(1, 2, 3);

describe('data records', () => {
  const read = (body: unknown, seed = storageKey) => decodeRecord(P, userKey, storageKey, sealedBody(body, seed));

  it('read back each value kind, with or without an expiry', () => {
    expect(read([1, 0, 'text', 1, 2, 3])).toStrictEqual({ value: 'text', version: 1, createRevision: 2, modRevision: 3 });
    expect(read([1, 2, '{"a":[1,"x"]}', 4, 5, 6, 99])).toStrictEqual({ value: { a: [1, 'x'] }, version: 4, createRevision: 5, modRevision: 6, expiresAtMs: 99 });
    expect(read([1, 0, 'text', 0, 0, 0, 0])).toStrictEqual({ value: 'text', version: 0, createRevision: 0, modRevision: 0, expiresAtMs: 0 });
    // Bytes come back as a plain Uint8Array (msgpackr hands out a Buffer), equal to what was written.
    const value = read([1, 1, bytes, 1, 2, 3]).value as Uint8Array;
    expect(value.constructor).toBe(Uint8Array);
    expect([...value]).toEqual([1, 2, 3]);
  });

  it('agree with encodeRecord, which returns what a read will see', () => {
    for (const value of ['s', Uint8Array.of(9, 8), { n: 1, list: [true, null] }, 42]) {
      const { stored, readBack } = encodeRecord(storageKey, { value, version: 7, createRevision: 1, modRevision: 9, expiresAtMs: 5 });
      expect(decodeRecord(P, userKey, storageKey, stored)).toStrictEqual(readBack);
    }
  });

  it('refuse a body that breaks one rule, naming the partition and the key', () => {
    const malformed: Array<[unknown, RegExp]> = [
      ['not an array', /record has an unknown format/],
      [[2, 0, 'v', 1, 2, 3], /record has an unknown format/],
      [[1, 0, 'v', -1, 2, 3], /record fields are malformed/],
      [[1, 0, 'v', 1.5, 2, 3], /record fields are malformed/],
      [[1, 0, 'v', '1', 2, 3], /record fields are malformed/],
      [[1, 0, 'v', 1, -2, 3], /record fields are malformed/],
      [[1, 0, 'v', 1, 2, 2 ** 53], /record fields are malformed/],
      [[1, 0, 'v', 1, 2, 3, 4, 5], /record fields are malformed/],
      [[1, 0, 'v', 1, 2, 3, 'soon'], /record fields are malformed/],
      [[1, 0, bytes, 1, 2, 3], /record fields are malformed/],
      [[1, 1, 'v', 1, 2, 3], /record fields are malformed/],
      [[1, 2, bytes, 1, 2, 3], /record fields are malformed/],
      [[1, 2, '{not json', 1, 2, 3], /record fields are malformed/],
      [[1, 3, 'v', 1, 2, 3], /record fields are malformed/],
    ];
    for (const [body, message] of malformed) {
      const error = corruption(() => read(body));
      expect(error.message).toMatch(message);
      expect(error.group).toBe(P);
      expect(error.key).toStrictEqual(userKey);
      // Reading only the numbers refuses the same records the same way, except a JSON text it
      // skips without parsing (the checksum held: only a broken writer makes one).
      if (body instanceof Array && body[1] === 2 && body[2] === '{not json') continue;
      const metaError = corruption(() => decodeRecordMeta(P, userKey, storageKey, sealedBody(body, storageKey)));
      expect(metaError.message).toBe(error.message);
      expect(metaError.key).toStrictEqual(userKey);
    }
  });

  it('refuse bytes that are not msgpack, and a record sealed under another key', () => {
    // An array header announcing two items followed by one: msgpackr runs out of data.
    const garbage = sealRecord(Uint8Array.of(0, 0, 0, 0, 0x92, 0x01), storageKey);
    expect(corruption(() => decodeRecord(P, userKey, storageKey, garbage)).message).toMatch(/record does not decode/);
    expect(corruption(() => read([1, 0, 'v', 1, 2, 3], dataKey(P, utf8Encode('user/2')))).message).toMatch(/record checksum mismatch/);
    expect(corruption(() => decodeRecordMeta(P, userKey, storageKey, garbage)).message).toMatch(/record does not decode/);
    const elsewhere = sealedBody([1, 0, 'v', 1, 2, 3], dataKey(P, utf8Encode('user/2')));
    expect(corruption(() => decodeRecordMeta(P, userKey, storageKey, elsewhere)).message).toMatch(/record checksum mismatch/);
  });
});

describe('session records', () => {
  const read = (body: unknown) => decodeSession(P, sKey, sealedBody(body, sKey));

  it('read back what encodeSession wrote, the answer as a plain Uint8Array', () => {
    const session = decodeSession(P, sKey, encodeSession(sKey, { lastSeq: 12, answer: bytes, lastSeenMs: 1_700_000_000_000 }));
    expect(session.answer.constructor).toBe(Uint8Array);
    expect(session).toStrictEqual({ lastSeq: 12, answer: bytes, lastSeenMs: 1_700_000_000_000 });
    expect(read([1, 0, new Uint8Array(0), 0])).toStrictEqual({ lastSeq: 0, answer: new Uint8Array(0), lastSeenMs: 0 });
  });

  it('refuse a malformed sequence, answer or last-seen time', () => {
    for (const body of [
      [1, -1, bytes, 5],
      [1, 'x', bytes, 5],
      [1, 3, 'an answer', 5],
      [1, 3, [1, 2], 5],
      [1, 3, bytes, 0.5],
      [1, 3, bytes],
    ]) {
      const error = corruption(() => read(body));
      expect(error.message).toMatch(/session fields are malformed/);
      expect(error.group).toBe(P);
    }
    expect(corruption(() => read([7, 3, bytes, 5])).message).toMatch(/session has an unknown format/);
  });
});

describe('applied index records', () => {
  it('read back exactly eight bytes sealed under the partition key', () => {
    expect(decodeApplied(P, aKey, encodeApplied(aKey, 2 ** 40 + 5))).toBe(2 ** 40 + 5);
    for (const size of [7, 9]) {
      const record = sealRecord(new Uint8Array(CHECKSUM_SIZE_BYTES + size), aKey);
      expect(corruption(() => decodeApplied(P, aKey, record)).message).toMatch(/applied index checksum mismatch/);
    }
    expect(corruption(() => decodeApplied(P, aKey, encodeApplied(appliedKey(groupId(4)), 5))).message).toMatch(/applied index checksum mismatch/);
  });
});
