/**
 * The session table's cache: every write looks up its client session (exactly-once), so without
 * this each apply pays a LevelDB read on the event loop (~50 µs measured under load, a fifth of a
 * node's CPU in the put benchmark). Entries are written through by the engine on every batch and
 * dropped with their partition on import and drop, exactly like the value cache; absent sessions
 * are remembered too (a new client's first write). Bounded by entries per partition.
 *
 * Each partition's entries are a Map in insertion order with a "referenced" bit (CLOCK, the
 * usual approximation of LRU): a hit or an update only sets the bit, and only an insertion past
 * the bound walks from the oldest entry, giving each referenced one a second chance (moved to
 * the end, bit cleared) and evicting the first unreferenced one. A strict LRU moved the entry to
 * the end of the Map on every hit and every update (a delete and an insert each, two per
 * applied write), ~0.3 µs apiece. Not lru-cache: it preallocates its arrays for `max` entries,
 * ~1 ms for 10 000, paid for every partition at every boot and snapshot import; in the
 * simulator, which boots and imports often, that was 4 % of all CPU.
 */
import type { GroupId } from '@ringkv/stdx';
import type { SessionRecord } from './interfaces';

interface CachedSession {
  /** undefined = known absent. */
  session: SessionRecord | undefined;
  referenced: boolean;
}

export class SessionCache {
  private readonly partitions = new Map<GroupId, Map<string, CachedSession>>();
  hits = 0;
  misses = 0;

  constructor(readonly entriesPerPartitionMax: number) {}

  /** `null` when the cache does not know; `undefined` when the session is known absent. */
  lookup(partition: GroupId, clientId: string): SessionRecord | undefined | null {
    const cached = this.partitions.get(partition)?.get(clientId);
    if (cached === undefined) {
      this.misses++;
      return null;
    }
    this.hits++;
    cached.referenced = true;
    return cached.session;
  }

  set(partition: GroupId, clientId: string, session: SessionRecord | undefined): void {
    if (this.entriesPerPartitionMax === 0) return;
    let entries = this.partitions.get(partition);
    if (entries === undefined) this.partitions.set(partition, (entries = new Map()));
    const cached = entries.get(clientId);
    if (cached !== undefined) {
      cached.session = session;
      cached.referenced = true;
      return;
    }
    entries.set(clientId, { session, referenced: false });
    while (entries.size > this.entriesPerPartitionMax) {
      const [oldestId, oldest] = entries.entries().next().value!;
      entries.delete(oldestId);
      // The entry just inserted is never the victim: it goes round once more.
      if (!oldest.referenced && oldestId !== clientId) break;
      oldest.referenced = false;
      entries.set(oldestId, oldest);
    }
  }

  dropPartition(partition: GroupId): void {
    this.partitions.delete(partition);
  }
}
