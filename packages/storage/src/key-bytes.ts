/**
 * Big-endian integer fields inside LevelDB keys: big-endian so that byte order (LevelDB's order)
 * is numeric order, which makes a group's log a contiguous key range sorted by index.
 */
import { assert } from '@ringkv/stdx';

const TWO_POW_32 = 0x100000000;

export function writeU32BE(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = (value >>> 24) & 0xff;
  bytes[offset + 1] = (value >>> 16) & 0xff;
  bytes[offset + 2] = (value >>> 8) & 0xff;
  bytes[offset + 3] = value & 0xff;
}

export function readU32BE(bytes: Uint8Array, offset: number): number {
  return (
    (((bytes[offset] as number) << 24) |
      ((bytes[offset + 1] as number) << 16) |
      ((bytes[offset + 2] as number) << 8) |
      (bytes[offset + 3] as number)) >>>
    0
  );
}

/** A non-negative safe integer as 8 big-endian bytes. */
export function writeU64BE(bytes: Uint8Array, offset: number, value: number): void {
  assert(Number.isSafeInteger(value) && value >= 0, () => `u64 field must be a non-negative safe integer, got ${value}`);
  writeU32BE(bytes, offset, Math.floor(value / TWO_POW_32));
  writeU32BE(bytes, offset + 4, value >>> 0);
}

export function readU64BE(bytes: Uint8Array, offset: number): number {
  return readU32BE(bytes, offset) * TWO_POW_32 + readU32BE(bytes, offset + 4);
}

/** The smallest byte string greater than every string starting with `prefix`, or undefined if none. */
export function prefixUpperBound(prefix: Uint8Array): Uint8Array | undefined {
  const bound = Uint8Array.from(prefix);
  for (let i = bound.length - 1; i >= 0; i--) {
    if ((bound[i] as number) < 0xff) {
      bound[i] = (bound[i] as number) + 1;
      return bound.subarray(0, i + 1);
    }
  }
  return undefined;
}

export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
