/**
 * Shared by the engines' tests: records or chunks whose checksum is right but whose content is
 * not (build them, and expect the CorruptionError that refuses them), and a database whose next
 * read is held or whose next batch write fails.
 */
import { pack } from 'msgpackr';
import { expect } from 'vitest';
import { CHECKSUM_SIZE_BYTES, sealRecord } from '../src/checksum';
import type { StorageDb } from '../src/db';
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

/**
 * Holds the database's next get() after it has read: `started` resolves then, and the answer
 * comes only after `release()`. The wrapper puts the database's own get back at that first call,
 * so only that read is held (a read that races a write, for the caches' generation checks).
 */
export function holdNextGet(db: StorageDb): { started: Promise<void>; release(): void } {
  const originalGet = db.get.bind(db);
  let release!: () => void;
  let started!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const startedPromise = new Promise<void>((r) => (started = r));
  (db as { get: unknown }).get = async (...args: Parameters<typeof db.get>) => {
    (db as { get: unknown }).get = originalGet;
    const value = await originalGet(...args);
    started();
    await gate;
    return value;
  };
  return { started: startedPromise, release };
}

/** Makes the database's next batch write fail with `error`; the ones after it are its own again. */
export function failNextBatchWrite(db: StorageDb, error: Error): void {
  const originalBatch = db.batch.bind(db);
  (db as { batch: unknown }).batch = () => {
    (db as { batch: unknown }).batch = originalBatch;
    const batch = originalBatch();
    (batch as { write: unknown }).write = () => Promise.reject(error);
    return batch;
  };
}
