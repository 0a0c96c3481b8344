/**
 * CRC32C (Castagnoli) over stored records, computed natively by @node-rs/crc32. Every record the
 * engines write starts with the 4-byte little-endian checksum of what follows it (and, where a
 * record could be misfiled, of its key too), so torn or flipped bytes are told apart from data.
 */
import { crc32c } from '@node-rs/crc32';

export const CHECKSUM_SIZE_BYTES = 4;

export function checksum(bytes: Uint8Array, seed?: Uint8Array): number {
  return seed === undefined ? crc32c(bytes) : crc32c(bytes, crc32c(seed));
}

/** Writes the checksum of bytes[4..] (seeded with `seed`) into bytes[0..4]. */
export function sealRecord(record: Uint8Array, seed?: Uint8Array): Uint8Array {
  const sum = checksum(record.subarray(CHECKSUM_SIZE_BYTES), seed);
  writeU32LE(record, 0, sum);
  return record;
}

/** True when bytes[0..4] holds the checksum of bytes[4..] (seeded with `seed`). */
export function recordIntact(record: Uint8Array, seed?: Uint8Array): boolean {
  if (record.length < CHECKSUM_SIZE_BYTES) return false;
  return readU32LE(record, 0) === checksum(record.subarray(CHECKSUM_SIZE_BYTES), seed);
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
