/**
 * The session table's cache: every write looks up its client session (exactly-once), so without
 * this each apply pays a LevelDB read on the event loop (~50 µs measured under load, a fifth of a
 * node's CPU in the put benchmark). Entries are written through by the engine on every batch and
 * dropped with their partition on import and drop, exactly like the value cache; absent sessions
 * are remembered too (a new client's first write). Bounded by entries per partition (LRU).
 *
 * The LRU is a Map in recency order (a hit moves the entry to the end, the first entry is the
 * least recently used), not lru-cache: lru-cache preallocates its arrays for `max` entries, ~1 ms
 * for 10 000, paid for every partition at every boot and snapshot import; in the simulator,
 * which boots and imports often, that was 4 % of all CPU.
 */
import type { GroupId } from '@ringkv/stdx';
import type { SessionRecord } from './interfaces';

const ABSENT_SESSION = Symbol('absent session');
type CachedSession = SessionRecord | typeof ABSENT_SESSION;

export class SessionCache {
  private readonly partitions = new Map<GroupId, Map<string, CachedSession>>();
  hits = 0;
  misses = 0;

  constructor(readonly entriesPerPartitionMax: number) {}

  /** `null` when the cache does not know; `undefined` when the session is known absent. */
  lookup(partition: GroupId, clientId: string): SessionRecord | undefined | null {
    const lru = this.partitions.get(partition);
    const cached = lru?.get(clientId);
    if (cached === undefined) {
      this.misses++;
      return null;
    }
    this.hits++;
    lru!.delete(clientId);
    lru!.set(clientId, cached);
    return cached === ABSENT_SESSION ? undefined : cached;
  }

  set(partition: GroupId, clientId: string, session: SessionRecord | undefined): void {
    if (this.entriesPerPartitionMax === 0) return;
    let lru = this.partitions.get(partition);
    if (lru === undefined) this.partitions.set(partition, (lru = new Map()));
    lru.delete(clientId);
    lru.set(clientId, session ?? ABSENT_SESSION);
    if (lru.size > this.entriesPerPartitionMax) lru.delete(lru.keys().next().value!);
  }

  dropPartition(partition: GroupId): void {
    this.partitions.delete(partition);
  }
}
