/**
 * The hot-value cache in front of the KV engine: an LRU bounded in bytes (lru-cache), keyed by
 * partition and user key. It also remembers keys known to be absent, which is safe because every
 * change to a partition goes through the engine, which writes through (puts and deletes), and
 * clears the partition on import and drop; reads that raced with a write do not fill (see
 * KvEngine.get's generation check).
 */
import { LRUCache } from 'lru-cache';
import type { GroupId } from '@ringkv/stdx';
import type { KvRecord } from './interfaces';

/** Marks a key known to be absent. */
export const ABSENT = Symbol('absent');
export type CachedValue = KvRecord | typeof ABSENT;

/** Bookkeeping bytes charged per cache entry on top of key and value. */
const ENTRY_OVERHEAD_BYTES = 96;

const latin1 = new TextDecoder('latin1');

/** The cache key: partition number, a separator, then the user key's bytes one char per byte. */
export function cacheKey(partition: GroupId, key: Uint8Array): string {
  // Short keys: String.fromCharCode on the bytes beats any decoder call.
  if (key.length <= 64) {
    let s = partition + ':';
    for (let i = 0; i < key.length; i++) s += String.fromCharCode(key[i]!);
    return s;
  }
  return partition + ':' + latin1.decode(key);
}

export class ValueCache {
  private readonly lru: LRUCache<string, CachedValue> | undefined;
  hits = 0;
  misses = 0;

  constructor(readonly maxSizeBytes: number) {
    this.lru = maxSizeBytes > 0 ? new LRUCache<string, CachedValue>({ maxSize: maxSizeBytes }) : undefined;
  }

  /** The cached value, or undefined when the cache does not know. Counts a hit or a miss. */
  lookup(key: string): CachedValue | undefined {
    const v = this.lru?.get(key);
    if (v === undefined) this.misses++;
    else this.hits++;
    return v;
  }

  set(key: string, value: CachedValue, valueSizeBytes: number): void {
    if (this.lru === undefined) return;
    const size = ENTRY_OVERHEAD_BYTES + key.length + valueSizeBytes;
    if (size > this.maxSizeBytes) {
      // Too big to cache: make sure no older copy survives.
      this.lru.delete(key);
      return;
    }
    this.lru.set(key, value, { size });
  }

  /** Forgets every key of one partition (after an import or a drop). */
  dropPartition(partition: GroupId): void {
    if (this.lru === undefined) return;
    const prefix = partition + ':';
    for (const key of [...this.lru.keys()]) if (key.startsWith(prefix)) this.lru.delete(key);
  }

  get sizeBytes(): number {
    return this.lru?.calculatedSize ?? 0;
  }

  get entries(): number {
    return this.lru?.size ?? 0;
  }
}
