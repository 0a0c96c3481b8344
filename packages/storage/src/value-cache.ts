/**
 * The hot-value cache in front of the KV engine: an LRU bounded in bytes (lru-cache). It also
 * remembers keys known to be absent, which is safe because every change to a partition goes
 * through the engine, which writes through (puts and deletes) and clears the partition on import
 * and drop; reads that raced with a write do not fill (see LevelKvEngine.get's generation check).
 *
 * Lookups are keyed by a 30-bit hash of (partition, key) rather than by a string built from the
 * key: a small integer key needs no allocation and hashes for free, which is what lets a cached
 * read cost well under a microsecond. Each entry keeps its partition and key bytes and is compared
 * on lookup, so two keys sharing a hash never see each other's value: they only evict each other.
 */
import { LRUCache } from 'lru-cache';
import type { GroupId } from '@ringkv/stdx';
import type { KvRecord } from './interfaces';

/** Marks a key known to be absent. */
export const ABSENT = Symbol('absent');
export type CachedValue = KvRecord | typeof ABSENT;

interface CacheEntry {
  readonly partition: GroupId;
  readonly key: Uint8Array;
  readonly value: CachedValue;
}

/** Bookkeeping bytes charged per cache entry on top of key and value. */
const ENTRY_OVERHEAD_BYTES = 128;

/** FNV-1a-style mix of partition and key bytes, finished with an avalanche, kept in V8's small-integer range. */
export function cacheSlot(partition: GroupId, key: Uint8Array): number {
  let h = Math.imul(partition ^ 0x9e3779b9, 0x85ebca6b) ^ key.length;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i]!, 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h & 0x3fffffff;
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class ValueCache {
  private readonly lru: LRUCache<number, CacheEntry> | undefined;
  hits = 0;
  misses = 0;

  constructor(readonly maxSizeBytes: number) {
    this.lru = maxSizeBytes > 0 ? new LRUCache<number, CacheEntry>({ maxSize: maxSizeBytes }) : undefined;
  }

  /** The cached value, or undefined when the cache does not know. Counts a hit or a miss. */
  lookup(partition: GroupId, key: Uint8Array): CachedValue | undefined {
    const entry = this.lru?.get(cacheSlot(partition, key));
    if (entry !== undefined && entry.partition === partition && sameKey(entry.key, key)) {
      this.hits++;
      return entry.value;
    }
    this.misses++;
    return undefined;
  }

  /** Caches a value; `key` must not be changed afterwards (callers pass their own copy). */
  set(partition: GroupId, key: Uint8Array, value: CachedValue, valueSizeBytes: number): void {
    if (this.lru === undefined) return;
    const slot = cacheSlot(partition, key);
    const size = ENTRY_OVERHEAD_BYTES + key.length + valueSizeBytes;
    if (size > this.maxSizeBytes) {
      // Too big to cache: make sure no older copy survives.
      this.forget(slot, partition, key);
      return;
    }
    this.lru.set(slot, { partition, key, value }, { size });
  }

  /** Forgets every key of one partition (after an import or a drop). */
  dropPartition(partition: GroupId): void {
    if (this.lru === undefined) return;
    const doomed: number[] = [];
    for (const [slot, entry] of this.lru.entries()) if (entry.partition === partition) doomed.push(slot);
    for (const slot of doomed) this.lru.delete(slot);
  }

  get sizeBytes(): number {
    return this.lru?.calculatedSize ?? 0;
  }

  get entries(): number {
    return this.lru?.size ?? 0;
  }

  private forget(slot: number, partition: GroupId, key: Uint8Array): void {
    const entry = this.lru?.peek(slot);
    if (entry !== undefined && entry.partition === partition && sameKey(entry.key, key)) this.lru!.delete(slot);
  }
}
