/**
 * The hot-value cache in front of the KV engine, bounded in bytes. It also remembers keys known
 * to be absent, which is safe because every change to a partition goes through the engine, which
 * writes through (puts and deletes) and clears the partition on import and drop; reads that raced
 * with a write do not fill (see LevelKvEngine.get's generation check).
 *
 * Lookups are keyed by a 30-bit hash of (partition, key) rather than by a string built from the
 * key: a small integer key needs no allocation and hashes for free, which is what lets a cached
 * read cost well under a microsecond. Each entry keeps its partition and key bytes and is compared
 * on lookup, so two keys sharing a hash never see each other's value: they only evict each other.
 *
 * Eviction is CLOCK (the usual approximation of LRU): entries sit in a Map in insertion order
 * with a "referenced" bit that a hit or an update sets; only an insertion past the bound walks
 * from the oldest entry, giving each referenced one a second chance (moved to the end, bit
 * cleared) and evicting the first unreferenced one (never the entry just inserted). lru-cache,
 * used before, reordered its list on every hit and every write-through (twice per applied write
 * on every replica) and took ~0.5 µs a lookup and ~0.8 µs a set; a Map lookup and a bit, ~0.1 µs.
 */
import type { GroupId } from '@ringkv/stdx';
import { equalBytes } from '@ringkv/stdx';
import type { KvRecord } from './interfaces';
import { keySlot } from './key-slot';

/** Marks a key known to be absent. */
export const ABSENT = Symbol('absent');
export type CachedValue = KvRecord | typeof ABSENT;

interface CacheEntry {
  partition: GroupId;
  key: Uint8Array;
  value: CachedValue;
  sizeBytes: number;
  referenced: boolean;
}

/** Whether the entry of a slot is that of (partition, key): keys sharing a slot only evict each other. */
function holds(entry: CacheEntry, partition: GroupId, key: Uint8Array): boolean {
  return entry.partition === partition && equalBytes(entry.key, key);
}

/** Bookkeeping bytes charged per cache entry on top of key and value. */
const ENTRY_OVERHEAD_BYTES = 128;

export class ValueCache {
  private readonly slots = new Map<number, CacheEntry>();
  private totalSizeBytes = 0;
  hits = 0;
  misses = 0;

  constructor(readonly maxSizeBytes: number) {}

  /** The cached value, or undefined when the cache does not know. Counts a hit or a miss. */
  lookup(partition: GroupId, key: Uint8Array): CachedValue | undefined {
    const entry = this.slots.get(keySlot(partition, key));
    if (entry !== undefined && holds(entry, partition, key)) {
      this.hits++;
      entry.referenced = true;
      return entry.value;
    }
    this.misses++;
    return undefined;
  }

  /** The cache's own copy of `key` when it holds the key (never changed), else undefined. Counts nothing. */
  keyOf(partition: GroupId, key: Uint8Array): Uint8Array | undefined {
    const entry = this.slots.get(keySlot(partition, key));
    return entry !== undefined && holds(entry, partition, key) ? entry.key : undefined;
  }

  /**
   * Caches a value. The cache keeps a copy of `key` (it may be a view of a larger buffer, or be
   * reused by the caller): made when the key is new to its slot, while an update of a cached key
   * keeps the copy it has. A write-through of a hot key then allocates nothing that outlives it:
   * a fresh copy per update was one more object per write per replica promoted to the old
   * generation (it lives until the key's next write).
   */
  set(partition: GroupId, key: Uint8Array, value: CachedValue, valueSizeBytes: number): void {
    if (this.maxSizeBytes === 0) return;
    const slot = keySlot(partition, key);
    const size = ENTRY_OVERHEAD_BYTES + key.length + valueSizeBytes;
    const entry = this.slots.get(slot);
    if (size > this.maxSizeBytes) {
      // Too big to cache: make sure no older copy survives.
      if (entry !== undefined && holds(entry, partition, key)) this.remove(slot, entry);
      return;
    }
    if (entry !== undefined) {
      // The same key, or another sharing its slot (which it evicts): updated in place.
      this.totalSizeBytes += size - entry.sizeBytes;
      if (!holds(entry, partition, key)) entry.key = key.slice();
      entry.partition = partition;
      entry.value = value;
      entry.sizeBytes = size;
      entry.referenced = true;
    } else {
      this.slots.set(slot, { partition, key: key.slice(), value, sizeBytes: size, referenced: false });
      this.totalSizeBytes += size;
    }
    this.evictOver(slot);
  }

  /** Forgets every key of one partition (after an import or a drop). */
  dropPartition(partition: GroupId): void {
    for (const [slot, entry] of this.slots) if (entry.partition === partition) this.remove(slot, entry);
  }

  get sizeBytes(): number {
    return this.totalSizeBytes;
  }

  get entries(): number {
    return this.slots.size;
  }

  /** Evicts until the cache is within its bound, sparing the entry at `keep` (just set). */
  private evictOver(keep: number): void {
    while (this.totalSizeBytes > this.maxSizeBytes) {
      const [slot, oldest] = this.slots.entries().next().value!;
      this.slots.delete(slot);
      if (!oldest.referenced && slot !== keep) {
        this.totalSizeBytes -= oldest.sizeBytes;
        continue;
      }
      oldest.referenced = false;
      this.slots.set(slot, oldest);
    }
  }

  private remove(slot: number, entry: CacheEntry): void {
    this.slots.delete(slot);
    this.totalSizeBytes -= entry.sizeBytes;
  }
}
