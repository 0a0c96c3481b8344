/**
 * The hash the in-memory key maps share (the value cache here, the apply path's overlays in
 * multiraft): a 30-bit integer of (partition, key bytes), so a lookup needs no string built from
 * the key and the integer hashes for free in a Map. Collisions are the caller's to tell apart by
 * comparing the bytes.
 */
import type { GroupId } from '@ringkv/stdx';

/** FNV-1a-style mix of partition and key bytes, finished with an avalanche, kept in V8's small-integer range. */
export function keySlot(partition: GroupId, key: Uint8Array): number {
  let h = Math.imul(partition ^ 0x9e3779b9, 0x85ebca6b) ^ key.length;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i]!, 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h & 0x3fffffff;
}
