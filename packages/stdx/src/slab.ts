/**
 * Byte arrays carved from shared off-heap slabs, for the bytes a hot path hands to native code
 * (LevelDB keys and records, keys the ring hashes): one per write on every replica, several
 * times over.
 *
 * V8 keeps a typed array of at most 64 bytes on its own heap, and gives a larger one an off-heap
 * backing store of its own (~3 µs each with the GC's work to free it, measured, against ~0.5 µs
 * carved). A native call that reads a small on-heap array (napi_get_typedarray_info) first moves
 * its bytes off the heap into a backing store made for it, paying the same price again. A view
 * into a slab is off-heap from the start: neither cost.
 *
 * A slab is never reused: a carved array stays valid as long as anything holds it, and holds its
 * whole slab (4 KiB at most) alive. So carve only what is short-lived or written once and kept
 * whole (classic-level copies what it is given; memory-level keeps it); copy a small long-lived
 * piece out (`slice`) rather than keep a view of it. Zeroed like any new array.
 */

const SLAB_SIZE_BYTES = 4096;
/** Larger arrays get their own buffer: they would waste most of a slab. */
const CARVED_SIZE_BYTES_MAX = 512;

let slab = new ArrayBuffer(SLAB_SIZE_BYTES);
let used = 0;

export function carveBytes(sizeBytes: number): Uint8Array {
  if (sizeBytes > CARVED_SIZE_BYTES_MAX) return new Uint8Array(sizeBytes);
  if (used + sizeBytes > SLAB_SIZE_BYTES) {
    slab = new ArrayBuffer(SLAB_SIZE_BYTES);
    used = 0;
  }
  const out = new Uint8Array(slab, used, sizeBytes);
  used = (used + sizeBytes + 7) & ~7; // 8-byte aligned, as allocators do
  return out;
}
