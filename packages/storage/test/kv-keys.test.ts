/** The session key written without TextEncoder is the same bytes as the UTF-8 layout. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupId, utf8Encode } from '@ringkv/stdx';
import { SESSION_TAG, prefixedKey, sessionKey } from '../src/kv-keys';

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
