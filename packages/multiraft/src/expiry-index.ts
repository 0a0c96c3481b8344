/**
 * Keys with a TTL, per partition, ordered by expiry: what the leader looks at to propose
 * background deletions. Every replica keeps one (built from its data at start, updated on apply),
 * so a new leader knows what to expire. `live` says which record each key holds now; a heap
 * entry whose modRevision no longer matches is stale and skipped.
 *
 * Stale entries are also dropped in bulk: a key rewritten with a TTL leaves its older entries in
 * the heap until their expiry, so a key refreshed every second with a one-hour TTL (a session
 * kept alive) would hold 3600 of them. Once the heap holds more than twice the live keys (plus
 * STALE_ENTRIES_FLOOR), it is rebuilt from the live entries alone: amortized O(log n) per track.
 */
import { toHex } from '@ringkv/stdx';

export interface ExpiryCandidate {
  readonly key: Uint8Array;
  readonly modRevision: number;
  readonly expiresAtMs: number;
}

/** Stale heap entries tolerated before a rebuild, on top of one per live key. */
export const STALE_ENTRIES_FLOOR = 1024;

export class ExpiryIndex {
  private readonly heap: ExpiryCandidate[] = [];
  /** hex(key) → modRevision of the current record with a TTL. */
  private readonly live = new Map<string, number>();

  constructor(private readonly staleEntriesFloor = STALE_ENTRIES_FLOOR) {}

  get size(): number {
    return this.live.size;
  }

  /** Entries in the heap, stale ones included (at most 2 * size + the floor, after any track or untrack). */
  get heapSize(): number {
    return this.heap.length;
  }

  /** A record with a TTL was written (or found at start). */
  track(key: Uint8Array, modRevision: number, expiresAtMs: number): void {
    this.live.set(toHex(key), modRevision);
    this.push({ key, modRevision, expiresAtMs });
    this.maybeDropStale();
  }

  /** The key was deleted or overwritten without a TTL. */
  untrack(key: Uint8Array): void {
    this.live.delete(toHex(key));
    this.maybeDropStale();
  }

  clear(): void {
    this.heap.length = 0;
    this.live.clear();
  }

  /**
   * Up to `max` keys expired at `nowMs`. Each is pushed back with `retryAtMs`, so if the deletion
   * is lost (leader change) it is proposed again; once applied, the key is untracked and the
   * pushed-back entry is skipped as stale.
   */
  takeExpired(nowMs: number, max: number, retryAtMs: number): ExpiryCandidate[] {
    const out: ExpiryCandidate[] = [];
    while (out.length < max) {
      const top = this.heap[0];
      if (top === undefined || top.expiresAtMs > nowMs) break;
      this.pop();
      if (this.live.get(toHex(top.key)) !== top.modRevision) continue;
      out.push(top);
    }
    for (const c of out) this.push({ ...c, expiresAtMs: retryAtMs });
    return out;
  }

  /** Rebuilds the heap from its live entries once stale ones outnumber them (see the header). */
  private maybeDropStale(): void {
    if (this.heap.length <= 2 * this.live.size + this.staleEntriesFloor) return;
    // One entry per live (key, modRevision): the earliest, as the heap would have yielded it first.
    const kept = new Map<string, ExpiryCandidate>();
    for (const c of this.heap) {
      const hex = toHex(c.key);
      if (this.live.get(hex) !== c.modRevision) continue;
      const other = kept.get(hex);
      if (other === undefined || c.expiresAtMs < other.expiresAtMs) kept.set(hex, c);
    }
    // An array sorted by expiry is a valid min-heap.
    const rebuilt = [...kept.values()].sort((a, b) => a.expiresAtMs - b.expiresAtMs);
    this.heap.length = 0;
    for (const c of rebuilt) this.heap.push(c);
  }

  private push(item: ExpiryCandidate): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.expiresAtMs <= h[i]!.expiresAtMs) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l]!.expiresAtMs < h[m]!.expiresAtMs) m = l;
      if (r < h.length && h[r]!.expiresAtMs < h[m]!.expiresAtMs) m = r;
      if (m === i) break;
      [h[m], h[i]] = [h[i]!, h[m]!];
      i = m;
    }
  }
}
