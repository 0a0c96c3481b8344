/** The session key written without TextEncoder is the same bytes as the UTF-8 layout; keys and records are carved. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupId, nodeId, utf8Encode } from '@ringkv/stdx';
import { SESSION_TAG, appliedKey, dataKey, prefixedKey, sessionKey } from '../src/kv-keys';
import { encodeApplied, encodeRecord } from '../src/kv-codec';
import { HARD_STATE_TAG, entryKey, groupKey } from '../src/log-keys';
import { encodeEntry, encodeHardState } from '../src/log-codec';

describe('session keys', () => {
  it('are the tag, the partition and the client id as UTF-8, ASCII or not', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 })), (p, clientId) => {
        expect(sessionKey(groupId(p), clientId)).toEqual(prefixedKey(SESSION_TAG, groupId(p), utf8Encode(clientId)));
      }),
    );
    expect(Array.from(sessionKey(groupId(0x01020304), 'w7'))).toEqual([SESSION_TAG, 1, 2, 3, 4, 0x77, 0x37]);
  });
});

describe('what goes to LevelDB is carved', () => {
  // Views into shared off-heap slabs (stdx carveBytes): a small array of its own would be moved
  // off V8's heap by every native call that reads it, and a larger one gets its own backing store.
  const carved = (bytes: Uint8Array): boolean => bytes.buffer.byteLength === 4096 && bytes.length < 4096;
  it('keys and records of both engines', () => {
    const p = groupId(7);
    const key = utf8Encode('k000000000000001');
    for (const k of [dataKey(p, key), sessionKey(p, 'w1'), appliedKey(p), entryKey(p, 42), groupKey(HARD_STATE_TAG, p)]) expect(carved(k)).toBe(true);
    const entry = encodeEntry(p, { term: 3, index: 42, type: 'normal', data: new Uint8Array(170) });
    const record = encodeRecord(dataKey(p, key), { value: 'v'.repeat(128), version: 1, createRevision: 42, modRevision: 42 }).stored;
    for (const r of [entry, record, encodeApplied(appliedKey(p), 42), encodeHardState(p, { term: 3, vote: nodeId(1), commit: 40 })]) expect(carved(r)).toBe(true);
  });
});
