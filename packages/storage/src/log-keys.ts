/**
 * Key layout of the Raft log engine (one database shared by every group on the node):
 *
 *   'l' group:u32be index:u64be  → one log entry               (sorted by group, then index)
 *   'h' group:u32be              → the group's hard state
 *   's' group:u32be              → the group's compaction point (snapshot metadata)
 *
 * A group's entries are one contiguous key range, so loading, truncating and dropping a group are
 * range operations, and groups never interleave.
 */
import type { GroupId } from '@ringkv/stdx';
import { carveBytes } from '@ringkv/stdx';
import { readU32BE, readU64BE, writeU32BE, writeU64BE } from './key-bytes';

export const ENTRY_TAG = 0x6c; // 'l'
export const HARD_STATE_TAG = 0x68; // 'h'
export const SNAPSHOT_TAG = 0x73; // 's'

export const ENTRY_KEY_SIZE_BYTES = 13;

/** Carved (stdx carveBytes), as groupKey's: both go to LevelDB, a native call, once per write. */
export function entryKey(group: GroupId, index: number): Uint8Array {
  const key = carveBytes(ENTRY_KEY_SIZE_BYTES);
  key[0] = ENTRY_TAG;
  writeU32BE(key, 1, group);
  writeU64BE(key, 5, index);
  return key;
}

/** First key of the group's entry range (inclusive). */
export function entryRangeStart(group: GroupId): Uint8Array {
  return entryKey(group, 0);
}

/** End of the group's entry range (exclusive): the group tag followed by group + 1. */
export function entryRangeEnd(group: GroupId): Uint8Array {
  const key = new Uint8Array(5);
  key[0] = ENTRY_TAG;
  if (group === 0xffffffff) {
    key[0] = ENTRY_TAG + 1;
    return key.subarray(0, 1);
  }
  writeU32BE(key, 1, group + 1);
  return key;
}

export function groupKey(tag: number, group: GroupId): Uint8Array {
  const key = carveBytes(5);
  key[0] = tag;
  writeU32BE(key, 1, group);
  return key;
}

export function entryKeyIndex(key: Uint8Array): number {
  return readU64BE(key, 5);
}

export function keyGroup(key: Uint8Array): number {
  return readU32BE(key, 1);
}
