/**
 * A disk model under the storage engines. A SimDisk is one node's disk; `open()` gives the
 * engines an abstract-level database (a memory-level subclass) whose writes pass through the
 * model:
 *
 * - A batch written with `sync: true` is durable once it completes, together with every earlier
 *   unsynced batch (LevelDB's log is one ordered file: an fsync covers everything before it).
 * - A batch written with `sync: false` is volatile until the next synced write. A crash keeps a
 *   random prefix of the volatile batches (whole batches: LevelDB's log records are checksummed,
 *   so recovery drops a torn record entirely) and loses the rest: the "torn tail".
 * - Writes complete in order after a delay drawn from the seed (a slow disk), as scheduler
 *   events; a crash before completion loses the write, and its promise never settles (the
 *   process that awaited it is gone).
 * - `flipBit` corrupts one stored value while the node is down; the engines must detect it by
 *   checksum when they read it back, and never serve or apply it.
 *
 * Reads see every completed write, synced or not (the OS page cache), like a real process.
 */
import { assert, type Prng } from '@ringkv/stdx';
import { openMemoryDb, type StorageDb } from '@ringkv/storage';
import type { Scheduler } from './scheduler';

export interface DiskFaults {
  /** Probability that a write is slow. */
  slowWriteRate: number;
  /** A slow write takes a delay uniform in [1, slowWriteMsMax]. */
  slowWriteMsMax: number;
  /** A disk that acknowledges fsync without doing it (synced writes stay volatile). Only for
   *  proving that the checkers catch lost acknowledged writes; never in a normal schedule. */
  fsyncLies?: boolean;
}

export const FAST_DISK: DiskFaults = { slowWriteRate: 0, slowWriteMsMax: 0 };

interface StoredOp {
  readonly type: 'put' | 'del';
  readonly key: Uint8Array;
  readonly value: Uint8Array | undefined;
}

export interface DiskStats {
  syncedBatches: number;
  volatileBatches: number;
  lostBatches: number;
  keptVolatileBatches: number;
  lostInFlight: number;
  crashes: number;
  bitFlips: number;
}

export interface CrashOutcome {
  /** Volatile batches that reached the disk anyway. */
  readonly kept: number;
  /** Volatile batches lost. */
  readonly lost: number;
}

export interface BitFlip {
  readonly keyHex: string;
  readonly original: Uint8Array;
  readonly flipped: Uint8Array;
  readonly byteIndex: number;
  readonly bit: number;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * When a disk's writes (or syncs) complete: in order, at once on a fast disk, after a delay drawn
 * from the seed in slow stretches, as scheduler events. A write whose process crashed before its
 * completion is lost, and its promise never settles. Both disk models (sim-disk.ts for LevelDB,
 * sim-segment-disk.ts for the Raft log's segment files) complete their writes through one.
 */
export class DiskCompletions {
  private lastCompletionMs = 0;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly prng: Prng,
    private readonly label: string,
    public faults: DiskFaults,
  ) {}

  /** Runs `complete` when the write completes if `live()` still holds then; else `lost`. */
  schedule(what: string, live: () => boolean, complete: () => void, lost: () => void): Promise<void> {
    const slow = this.faults.slowWriteRate > 0 && this.prng.chance(this.faults.slowWriteRate);
    const delayMs = slow ? this.prng.range(1, Math.max(1, this.faults.slowWriteMsMax)) : 0;
    const completionMs = Math.max(this.lastCompletionMs, this.scheduler.nowMs + delayMs);
    if (completionMs <= this.scheduler.nowMs) {
      complete();
      return Promise.resolve();
    }
    this.lastCompletionMs = completionMs;
    return new Promise<void>((resolve) => {
      this.scheduler.at(completionMs, `${this.label} ${what}`, () => {
        if (!live()) {
          lost();
          return;
        }
        complete();
        resolve();
      });
    });
  }
}

/**
 * What both disk models share: the completion model (whose faults the fault schedule swaps during
 * slow-disk stretches) and the count of process incarnations that opened the disk.
 */
export abstract class DiskModel {
  protected incarnation = 0;
  protected readonly completions: DiskCompletions;

  constructor(
    protected readonly scheduler: Scheduler,
    protected readonly prng: Prng,
    readonly label: string,
    faults: DiskFaults = FAST_DISK,
  ) {
    this.completions = new DiskCompletions(scheduler, prng, label, faults);
  }

  get faults(): DiskFaults {
    return this.completions.faults;
  }

  set faults(faults: DiskFaults) {
    this.completions.faults = faults;
  }
}

export class SimDisk extends DiskModel {
  /** The durable image: what a restart reads back. Keyed by hex key, in no particular order. */
  private readonly durable = new Map<string, { key: Uint8Array; value: Uint8Array }>();
  private volatile: StoredOp[][] = [];
  readonly stats: DiskStats = { syncedBatches: 0, volatileBatches: 0, lostBatches: 0, keptVolatileBatches: 0, lostInFlight: 0, crashes: 0, bitFlips: 0 };

  /** Opens the database a new process incarnation sees: the durable image, nothing else. */
  async open(): Promise<StorageDb> {
    this.incarnation++;
    return openSimDb(this, this.incarnation, this.sortedDurable());
  }

  /** The process died: volatile writes are partly lost, in-flight writes never complete. */
  crash(): CrashOutcome {
    this.stats.crashes++;
    this.incarnation++;
    const kept = this.prng.int(this.volatile.length + 1);
    for (let i = 0; i < kept; i++) this.applyDurable(this.volatile[i]!);
    const lost = this.volatile.length - kept;
    this.stats.keptVolatileBatches += kept;
    this.stats.lostBatches += lost;
    this.volatile = [];
    this.scheduler.record(`${this.label} crash kept=${kept} lost=${lost}`);
    return { kept, lost };
  }

  /** Flips one bit of one durable value (keys matching `eligible` only); undefined if none. */
  flipBit(eligible: (key: Uint8Array) => boolean = () => true): BitFlip | undefined {
    const candidates = this.sortedDurable().filter((e) => e.value.length > 0 && eligible(e.key));
    if (candidates.length === 0) return undefined;
    const entry = this.prng.pick(candidates);
    const byteIndex = this.prng.int(entry.value.length);
    const bit = this.prng.int(8);
    const value = entry.value.slice();
    value[byteIndex] = value[byteIndex]! ^ (1 << bit);
    const keyHex = hex(entry.key);
    this.durable.set(keyHex, { key: entry.key, value });
    this.stats.bitFlips++;
    this.scheduler.record(`${this.label} flip ${keyHex} ${byteIndex}.${bit}`);
    return { keyHex, byteIndex, bit, original: entry.value, flipped: value };
  }

  /**
   * Undoes a flip if the value is still the flipped one (a transient read error, or the
   * operator's repair): lets a node that rightly refused corrupt data rejoin with its Raft
   * state intact, which wiping it could not (it may have voted).
   */
  repair(flip: BitFlip): boolean {
    const current = this.durable.get(flip.keyHex);
    if (current === undefined || Buffer.compare(current.value, flip.flipped) !== 0) return false;
    this.durable.set(flip.keyHex, { key: current.key, value: flip.original });
    this.scheduler.record(`${this.label} repair ${flip.keyHex}`);
    return true;
  }

  /** Number of durable keys (for tests and summaries). */
  get durableKeyCount(): number {
    return this.durable.size;
  }

  /** The durable value under a key, a copy; for tests. */
  durableValue(key: Uint8Array): Uint8Array | undefined {
    return this.durable.get(hex(key))?.value.slice();
  }

  /**
   * Called by SimDb for every write. Resolves when the write has completed on the model (then
   * the caller applies it to its in-memory view); never resolves if the process crashed first.
   */
  admit(incarnation: number, ops: StoredOp[], sync: boolean): Promise<void> {
    if (incarnation !== this.incarnation) return new Promise<void>(() => {});
    return this.completions.schedule(
      'write',
      () => incarnation === this.incarnation,
      () => this.complete(ops, sync),
      () => this.stats.lostInFlight++,
    );
  }

  private complete(ops: StoredOp[], sync: boolean): void {
    if (sync && this.faults.fsyncLies !== true) {
      for (const batch of this.volatile) this.applyDurable(batch);
      this.volatile = [];
      this.applyDurable(ops);
      this.stats.syncedBatches++;
    } else {
      this.volatile.push(ops);
      this.stats.volatileBatches++;
    }
  }

  private applyDurable(ops: readonly StoredOp[]): void {
    for (const op of ops) {
      const k = hex(op.key);
      if (op.type === 'put') this.durable.set(k, { key: op.key, value: op.value! });
      else this.durable.delete(k);
    }
  }

  private sortedDurable(): Array<{ key: Uint8Array; value: Uint8Array }> {
    return [...this.durable.values()].sort((a, b) => Buffer.compare(a.key, b.key));
  }

  /** For assertions in tests: the model is consistent. */
  checkIncarnation(incarnation: number): void {
    assert(incarnation <= this.incarnation, 'a database incarnation from the future');
  }
}

interface EncodedOp {
  type: 'put' | 'del';
  key: Uint8Array;
  value?: Uint8Array;
}

/** abstract-level's private write API (what the public methods call after encoding). */
interface PrivateWriteApi {
  _put(key: Uint8Array, value: Uint8Array, options: object): Promise<void>;
  _del(key: Uint8Array, options: object): Promise<void>;
  _batch(operations: EncodedOp[], options: object): Promise<void>;
}

/**
 * A memory-level database (storage's own factory, byte encodings) whose private write methods
 * are wrapped so every write passes through the SimDisk first. Wrapping the private API catches
 * every public path (put, del, array and chained batches) after encoding, so the model sees the
 * stored bytes. The durable image is loaded through the unwrapped methods.
 */
async function openSimDb(disk: SimDisk, incarnation: number, initial: ReadonlyArray<{ key: Uint8Array; value: Uint8Array }>): Promise<StorageDb> {
  const db = await openMemoryDb();
  const raw = db as unknown as PrivateWriteApi;
  const put = raw._put.bind(raw);
  const del = raw._del.bind(raw);
  const batch = raw._batch.bind(raw);
  if (initial.length > 0) await batch(initial.map((e) => ({ type: 'put' as const, key: e.key.slice(), value: e.value.slice() })), {});
  raw._put = async (key, value, options) => {
    await disk.admit(incarnation, [{ type: 'put', key: key.slice(), value: value.slice() }], syncOf(options));
    await put(key, value, options);
  };
  raw._del = async (key, options) => {
    await disk.admit(incarnation, [{ type: 'del', key: key.slice(), value: undefined }], syncOf(options));
    await del(key, options);
  };
  raw._batch = async (operations, options) => {
    const copied: StoredOp[] = operations.map((op) => ({ type: op.type, key: op.key.slice(), value: op.type === 'put' ? op.value!.slice() : undefined }));
    await disk.admit(incarnation, copied, syncOf(options));
    await batch(operations, options);
  };
  return db;
}

function syncOf(options: object | undefined): boolean {
  return (options as { sync?: unknown } | undefined)?.sync === true;
}
