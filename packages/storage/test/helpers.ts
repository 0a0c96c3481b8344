/**
 * Shared by the tests that feed the engines records or chunks whose checksum is right but whose
 * content is not: build them, and expect the CorruptionError that refuses them.
 */
import { pack } from 'msgpackr';
import { expect } from 'vitest';
import { CHECKSUM_SIZE_BYTES, sealRecord } from '../src/checksum';
import { CorruptionError } from '../src/errors';

/** Runs `read`, which must throw a CorruptionError; returns it. */
export function corruption(read: () => unknown): CorruptionError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(CorruptionError);
    return error as CorruptionError;
  }
  throw new Error('expected a CorruptionError, the record was accepted');
}

/** A stored record: `body` packed by msgpackr behind a correct checksum (seeded with `seed`, if given). */
export function sealedBody(body: unknown, seed?: Uint8Array): Uint8Array {
  const packed = pack(body);
  const record = new Uint8Array(CHECKSUM_SIZE_BYTES + packed.length);
  record.set(packed, CHECKSUM_SIZE_BYTES);
  return sealRecord(record, seed);
}

/** A copy of `record` changed by `edit` and sealed again (unseeded): its checksum is right, its content is not. */
export function resealed(record: Uint8Array, edit: (r: Uint8Array) => void): Uint8Array {
  const copy = Uint8Array.from(record);
  edit(copy);
  return sealRecord(copy);
}
