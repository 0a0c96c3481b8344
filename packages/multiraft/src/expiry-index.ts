/**
 * Keys with a TTL, per partition, ordered by expiry: what the leader looks at to propose
 * background deletions. Every replica keeps one (built from its data at start, updated on apply),
 * so a new leader knows what to expire. `live` says which record each key holds now; a heap
 * entry whose modRevision no longer matches is stale and skipped.
 */
import { toHex } from '@ringkv/stdx';

export interface ExpiryCandidate {
  readonly key: Uint8Array;
  readonly modRevision: number;
  readonly expiresAtMs: number;
}

export class ExpiryIndex {
  private readonly heap: ExpiryCandidate[] = [];
  /** hex(key) → modRevision of the current record with a TTL. */
  private readonly live = new Map<string, number>();

  get size(): number {
    return this.live.size;
  }

  /** A record with a TTL was written (or found at start). */
  track(key: Uint8Array, modRevision: number, expiresAtMs: number): void {
    this.live.set(toHex(key), modRevision);
    this.push({ key, modRevision, expiresAtMs });
  }

  /** The key was deleted or overwritten without a TTL. */
  untrack(key: Uint8Array): void {
    this.live.delete(toHex(key));
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
