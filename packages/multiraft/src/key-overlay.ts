/**
 * A map from (partition, key bytes) to a value, for the apply path's per-round and per-command
 * overlays. Keyed by a 30-bit hash of the bytes with the bytes compared on lookup, instead of by
 * a string built from the key: building `${partition}/${hex}` for every lookup and every staged
 * change was ~1 µs per key and most of the overlay's garbage. Iterates in first-insertion order,
 * like Map.
 */
import type { GroupId } from '@ringkv/stdx';
import { equalBytes } from '@ringkv/stdx';
import { keySlot } from '@ringkv/storage';

interface OverlayEntry<V> {
  readonly partition: GroupId;
  readonly key: Uint8Array;
  value: V;
  /** The next entry whose hash is the same (a collision chain). */
  next: OverlayEntry<V> | undefined;
}

export class KeyOverlay<V> {
  private readonly slots = new Map<number, OverlayEntry<V>>();
  private readonly order: Array<OverlayEntry<V>> = [];

  /** The entry's value, or undefined when the overlay does not hold the key. */
  get(partition: GroupId, key: Uint8Array): V | undefined {
    for (let e = this.slots.get(keySlot(partition, key)); e !== undefined; e = e.next) {
      if (e.partition === partition && equalBytes(e.key, key)) return e.value;
    }
    return undefined;
  }

  /** Sets the key's value; `key` must not change afterwards (the overlay keeps it). */
  set(partition: GroupId, key: Uint8Array, value: V): void {
    const slot = keySlot(partition, key);
    const head = this.slots.get(slot);
    for (let e = head; e !== undefined; e = e.next) {
      if (e.partition === partition && equalBytes(e.key, key)) {
        e.value = value;
        return;
      }
    }
    const entry: OverlayEntry<V> = { partition, key, value, next: head };
    this.slots.set(slot, entry);
    this.order.push(entry);
  }

  get size(): number {
    return this.order.length;
  }

  /** Every entry, in the order its key was first set. */
  entries(): ReadonlyArray<{ readonly partition: GroupId; readonly key: Uint8Array; readonly value: V }> {
    return this.order;
  }
}
