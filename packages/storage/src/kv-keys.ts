/**
 * Keys are carved (stdx carveBytes): every one goes to LevelDB, a native call.
 *
 * Key layout of the KV engine (one database for every partition on the node):
 *
 *   'd' partition:u32be userKey   → a data record          (a partition's keys are one range,
 *                                                             in user-key byte order)
 *   'c' partition:u32be clientId  → a session record        (clientId as UTF-8)
 *   'a' partition:u32be           → the partition's applied index
 *   's'                           → a marker rewritten with fsync by sync(); outside every
 *                                    partition's ranges, so no digest or export sees it
 */
import type { GroupId } from '@ringkv/stdx';
import { carveBytes, utf8Encode } from '@ringkv/stdx';
import { prefixUpperBound, writeU32BE } from './key-bytes';

export const DATA_TAG = 0x64; // 'd'
export const SESSION_TAG = 0x63; // 'c'
export const APPLIED_TAG = 0x61; // 'a'
export const SYNC_MARKER_KEY = new Uint8Array([0x73]); // 's'
export const PARTITION_PREFIX_SIZE_BYTES = 5;

export function partitionPrefix(tag: number, partition: GroupId): Uint8Array {
  const key = carveBytes(PARTITION_PREFIX_SIZE_BYTES);
  key[0] = tag;
  writeU32BE(key, 1, partition);
  return key;
}

export function prefixedKey(tag: number, partition: GroupId, suffix: Uint8Array): Uint8Array {
  const key = carveBytes(PARTITION_PREFIX_SIZE_BYTES + suffix.length);
  key[0] = tag;
  writeU32BE(key, 1, partition);
  key.set(suffix, PARTITION_PREFIX_SIZE_BYTES);
  return key;
}

export function dataKey(partition: GroupId, key: Uint8Array): Uint8Array {
  return prefixedKey(DATA_TAG, partition, key);
}

export function sessionKey(partition: GroupId, clientId: string): Uint8Array {
  // Client ids are ASCII in practice: written straight into the key, without TextEncoder's
  // allocation and copy, which this paid on every write. Anything else goes through UTF-8.
  const key = carveBytes(PARTITION_PREFIX_SIZE_BYTES + clientId.length);
  for (let i = 0; i < clientId.length; i++) {
    const c = clientId.charCodeAt(i);
    if (c >= 0x80) return prefixedKey(SESSION_TAG, partition, utf8Encode(clientId));
    key[PARTITION_PREFIX_SIZE_BYTES + i] = c;
  }
  key[0] = SESSION_TAG;
  writeU32BE(key, 1, partition);
  return key;
}

export function appliedKey(partition: GroupId): Uint8Array {
  return partitionPrefix(APPLIED_TAG, partition);
}

/** [gte, lt) covering every key of one tag in one partition. */
export function partitionRange(tag: number, partition: GroupId): { gte: Uint8Array; lt: Uint8Array } {
  const gte = partitionPrefix(tag, partition);
  return { gte, lt: prefixUpperBound(gte)! };
}
