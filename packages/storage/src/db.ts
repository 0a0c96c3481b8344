/**
 * The LevelDB handle both engines take. Any abstract-level database works, so the simulator can
 * hand in a wrapper that models a disk losing unsynced writes; the factories here open the two
 * real ones: classic-level on disk, memory-level in memory.
 *
 * Keys and values are byte arrays: the database must be opened with the 'view' (or 'buffer')
 * key and value encodings, which openDiskDb / openMemoryDb do.
 */
import type { AbstractBatchOptions, AbstractLevel } from 'abstract-level';
import { ClassicLevel } from 'classic-level';
import { MemoryLevel } from 'memory-level';
import { assert } from '@ringkv/stdx';

// The first type parameter is the database's internal storage format, which the engines never see.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type StorageDb = AbstractLevel<any, Uint8Array, Uint8Array>;

export async function openDiskDb(path: string): Promise<StorageDb> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open({ createIfMissing: true });
  return db;
}

export async function openMemoryDb(): Promise<StorageDb> {
  const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view', storeEncoding: 'view' });
  await db.open();
  return db;
}

/** Opens an injected database if needed and checks that it speaks bytes. */
export async function readyDb(db: StorageDb): Promise<StorageDb> {
  if (db.status === 'opening' || db.status === 'closed') await db.open();
  assert(db.status === 'open', `storage database is ${db.status}, expected open`);
  const byteFormats = ['view', 'buffer'];
  assert(
    byteFormats.includes(db.keyEncoding().format) && byteFormats.includes(db.valueEncoding().format),
    () => `storage database must use byte encodings, got keys ${db.keyEncoding().format} and values ${db.valueEncoding().format}`,
  );
  return db;
}

/** Options for a batch of byte keys and values. `sync` is classic-level's (LevelDB's) flag, absent from abstract-level's types. */
export function batchOptions(sync: boolean): AbstractBatchOptions<Uint8Array, Uint8Array> {
  return { keyEncoding: 'view', valueEncoding: 'view', sync } as AbstractBatchOptions<Uint8Array, Uint8Array>;
}
