/**
 * Small byte arrays for the records an apply batch stages, carved from shared 4 KiB slabs.
 * V8 keeps a typed array of at most 64 bytes on its heap, but gives a larger one its own
 * off-heap backing store: ~1.5 µs each, measured, and GC work to free it. A data record is
 * ~200 bytes and a session record ~70, both written once per applied write on every replica.
 *
 * A slab is never reused: a carved array stays valid as long as anything holds it (classic-level
 * copies it into its batch; memory-level keeps it, which holds its slab, at most 4 KiB per
 * record in the worst case). Zeroed like any new array.
 */

const SLAB_SIZE_BYTES = 4096;
/** Larger arrays get their own buffer: they would waste most of a slab. */
const CARVED_SIZE_BYTES_MAX = 512;

let slab = new ArrayBuffer(SLAB_SIZE_BYTES);
let used = 0;

export function allocateRecord(sizeBytes: number): Uint8Array {
  if (sizeBytes > CARVED_SIZE_BYTES_MAX) return new Uint8Array(sizeBytes);
  if (used + sizeBytes > SLAB_SIZE_BYTES) {
    slab = new ArrayBuffer(SLAB_SIZE_BYTES);
    used = 0;
  }
  const out = new Uint8Array(slab, used, sizeBytes);
  used = (used + sizeBytes + 7) & ~7; // 8-byte aligned, as allocators do
  return out;
}
