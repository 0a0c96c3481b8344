/**
 * The LevelDB handle both engines take. Any abstract-level database works, so the simulator can
 * hand in a wrapper that models a disk losing unsynced writes; the factories here open the two
 * real ones: classic-level on disk, memory-level in memory.
 *
 * Keys and values are byte arrays: the database must be opened with the 'view' (or 'buffer')
 * key and value encodings, which openDiskDb / openMemoryDb do.
 */
import type { AbstractChainedBatchWriteOptions, AbstractLevel } from 'abstract-level';
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

export type DbOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

/**
 * Writes ops as one atomic batch. A chained batch, not the array form: abstract-level clones
 * every operation of an array batch with its options, which cost several times LevelDB's own
 * work for a round of hundreds of entries. `sync` is classic-level's (LevelDB's) flag, absent
 * from abstract-level's types. The database's default encodings are bytes (see readyDb).
 */
export async function writeBatch(db: StorageDb, ops: readonly DbOp[], sync: boolean): Promise<void> {
  const batch = db.batch();
  try {
    for (const op of ops) {
      if (op.type === 'put') batch.put(op.key, op.value);
      else batch.del(op.key);
    }
  } catch (err) {
    await batch.close();
    throw err;
  }
  await batch.write({ sync } as AbstractChainedBatchWriteOptions);
}
