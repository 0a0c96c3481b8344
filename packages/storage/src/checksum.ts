/**
 * CRC32C (Castagnoli) over stored records. Every record the engines write starts with the 4-byte
 * little-endian checksum of what follows it (and, where a record could be misfiled, of its key
 * too), so torn or flipped bytes are told apart from data.
 *
 * Short inputs are summed in JavaScript (slicing-by-8 tables), long ones natively by
 * @node-rs/crc32: a native call costs ~0.4 µs before it reads a byte, more than the JavaScript
 * loop spends on a key or a small record, and every write seals two of each (its record and its
 * session, each seeded with its key). Both compute the same function (tested against each other).
 */
import { crc32c } from '@node-rs/crc32';

export const CHECKSUM_SIZE_BYTES = 4;

/** Below this many bytes the JavaScript loop beats the native call (measured: ~250 B). */
const NATIVE_MIN_SIZE_BYTES = 256;

/** TABLE[k * 256 + b]: the CRC of byte b followed by k zero bytes (reflected polynomial 0x82f63b78). */
const TABLE = new Int32Array(8 * 256);
for (let b = 0; b < 256; b++) {
  let c = b;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  TABLE[b] = c;
}
for (let k = 1; k < 8; k++) {
  for (let b = 0; b < 256; b++) {
    const prev = TABLE[(k - 1) * 256 + b]!;
    TABLE[k * 256 + b] = (prev >>> 8) ^ TABLE[prev & 0xff]!;
  }
}

/** CRC32C of bytes[start..end), continuing from `crc` (the CRC of what came before; 0 = nothing). */
export function crc32cJs(bytes: Uint8Array, start: number, end: number, crc: number): number {
  let c = ~crc;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a = c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    c =
      TABLE[7 * 256 + (a & 0xff)]! ^
      TABLE[6 * 256 + ((a >>> 8) & 0xff)]! ^
      TABLE[5 * 256 + ((a >>> 16) & 0xff)]! ^
      TABLE[4 * 256 + (a >>> 24)]! ^
      TABLE[3 * 256 + bytes[i + 4]!]! ^
      TABLE[2 * 256 + bytes[i + 5]!]! ^
      TABLE[256 + bytes[i + 6]!]! ^
      TABLE[bytes[i + 7]!]!;
  }
  for (; i < end; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC32C of bytes[start..], continuing from `crc`. */
function crcFrom(bytes: Uint8Array, start: number, crc: number): number {
  if (bytes.length - start < NATIVE_MIN_SIZE_BYTES) return crc32cJs(bytes, start, bytes.length, crc);
  return crc32c(start === 0 ? bytes : bytes.subarray(start), crc);
}

/** CRC32C of bytes[start..], seeded with the CRC of `seed` when there is one. */
function seededCrc(bytes: Uint8Array, start: number, seed: Uint8Array | undefined): number {
  return crcFrom(bytes, start, seed === undefined ? 0 : crcFrom(seed, 0, 0));
}

export function checksum(bytes: Uint8Array, seed?: Uint8Array): number {
  return seededCrc(bytes, 0, seed);
}

/** Writes the checksum of bytes[4..] (seeded with `seed`) into bytes[0..4]. */
export function sealRecord(record: Uint8Array, seed?: Uint8Array): Uint8Array {
  writeU32LE(record, 0, seededCrc(record, CHECKSUM_SIZE_BYTES, seed));
  return record;
}

/** True when bytes[0..4] holds the checksum of bytes[4..] (seeded with `seed`). */
export function recordIntact(record: Uint8Array, seed?: Uint8Array): boolean {
  if (record.length < CHECKSUM_SIZE_BYTES) return false;
  return readU32LE(record, 0) === seededCrc(record, CHECKSUM_SIZE_BYTES, seed);
}

export function writeU32LE(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
  bytes[offset + 2] = (value >>> 16) & 0xff;
  bytes[offset + 3] = (value >>> 24) & 0xff;
}

export function readU32LE(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset] as number) |
      ((bytes[offset + 1] as number) << 8) |
      ((bytes[offset + 2] as number) << 16) |
      ((bytes[offset + 3] as number) << 24)) >>>
    0
  );
}
