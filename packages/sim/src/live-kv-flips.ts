/**
 * Bit flips in a running node's KV data (fault-schedule.ts flips only disks of nodes that are
 * down). During the fault phase, every `meanGapMs` on average, one bit of one stored data record
 * of the "bad disk" node (one node per run, so every partition keeps a majority of good replicas)
 * is flipped under the running KV engine: the corrupt bytes are written to its database like a
 * misdirected write, through the disk model (a crash may lose them, a sync makes them durable).
 *
 * The requirement is detected, never applied or served. What the run checks:
 * - detected: the Store quarantines the partition when a read, an apply, a snapshot export or
 *   the boot scan meets the record (its status says `quarantined`), counted per flip;
 * - never served: a corrupt value cannot decode (the engine checksums every record); the client
 *   history's linearizability check would also reject any value nobody wrote;
 * - never undetectable: a flip still on disk at the end that the Store never read (its value
 *   cache answered) must make a full read of the partition (KvEngine.digest) fail with
 *   CorruptionError, or the run fails.
 * A flip the Store overwrote (a put of the same key, served from its cache) or that a crash lost
 * is counted as healed.
 */
import { toHex, type NodeId, type Prng } from '@ringkv/stdx';
import type { KvEngine, StorageDb } from '@ringkv/storage';
import { groupId } from '@ringkv/stdx';
import type { Scheduler } from './scheduler';

/** The KV engine's data records: tag byte 'd', then the partition as a u32 BE (storage's kv-keys.ts). */
const DATA_TAG = 0x64;
const PARTITION_PREFIX_SIZE_BYTES = 5;
const BYTES = { keyEncoding: 'view', valueEncoding: 'view' } as const;

/** What the flipper needs of a running node. */
export interface FlipTarget {
  readonly kvDb: StorageDb;
  readonly kvEngine: KvEngine;
  /** Whether the node's Store has quarantined its replica of `partition`. */
  quarantined(partition: number): boolean;
}

export interface LiveFlipCounts {
  injected: number;
  detected: number;
  healed: number;
  /** Still on disk at the end, never read by the Store, and caught by a full read. */
  latent: number;
}

interface Flip {
  readonly partition: number;
  readonly storageKey: Uint8Array;
  readonly flipped: Uint8Array;
  detected: boolean;
}

function partitionOf(storageKey: Uint8Array): number {
  return new DataView(storageKey.buffer, storageKey.byteOffset + 1, 4).getUint32(0);
}

export class LiveKvFlips {
  readonly counts: LiveFlipCounts = { injected: 0, detected: 0, healed: 0, latent: 0 };
  private readonly flips: Flip[] = [];
  private injecting = false;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly prng: Prng,
    /** The node whose disk goes bad, and its running process (undefined while down). */
    readonly badNode: NodeId,
    private readonly target: () => FlipTarget | undefined,
    /** `partitions`: flips hit Raft partitions only, not the node's own metadata (the Store's
     *  cluster record under a partition id no ring uses: a node that cannot read it refuses to
     *  boot, as the down-node flips of fault-schedule.ts already exercise). */
    private readonly options: { readonly meanGapMs: number; readonly faultEndMs: number; readonly partitions: number },
  ) {}

  install(): void {
    this.scheduleNext();
  }

  /** Whether `partition` on `node` may hold a flipped record (its state is then not comparable). */
  mayBeCorrupt(node: NodeId, partition: number): boolean {
    return node === this.badNode && this.flips.some((f) => f.partition === partition);
  }

  /** Counts flips whose partition the Store has quarantined since the last poll. */
  poll(): void {
    const t = this.target();
    if (t === undefined) return;
    for (const f of this.flips) {
      if (f.detected || !t.quarantined(f.partition)) continue;
      f.detected = true;
      this.counts.detected++;
    }
  }

  /**
   * End of run: every flip was detected, healed, or is still on disk and caught by a full read of
   * its partition. Returns a failure, or undefined.
   */
  async verify(): Promise<string | undefined> {
    this.poll();
    const t = this.target();
    for (const f of this.flips) {
      if (f.detected) continue;
      const stored = t === undefined ? undefined : await t.kvDb.get(f.storageKey, BYTES);
      if (t === undefined || stored === undefined || Buffer.compare(stored, f.flipped) !== 0) {
        // Overwritten by a later apply, or lost with a crash's torn tail (or the node is down).
        this.counts.healed++;
        continue;
      }
      try {
        await t.kvEngine.digest(groupId(f.partition));
      } catch (error) {
        if (error instanceof Error && error.name === 'CorruptionError') {
          this.counts.latent++;
          continue;
        }
        throw error;
      }
      return `bit flip not detectable: node ${this.badNode} partition ${f.partition} holds flipped bytes under ${toHex(f.storageKey)} and a full read of the partition passed its checksums`;
    }
    return undefined;
  }

  private scheduleNext(): void {
    const gap = Math.max(1, Math.round(-Math.log(1 - this.prng.next()) * this.options.meanGapMs));
    if (this.scheduler.nowMs + gap >= this.options.faultEndMs) return;
    this.scheduler.after(gap, 'kv flip', () => {
      void this.inject();
      this.scheduleNext();
    });
  }

  private async inject(): Promise<void> {
    const t = this.target();
    if (t === undefined || this.injecting) return;
    this.injecting = true;
    try {
      const records: Array<{ key: Uint8Array; value: Uint8Array }> = [];
      const range = { gte: Uint8Array.of(DATA_TAG), lt: Uint8Array.of(DATA_TAG + 1) };
      for await (const [key, value] of t.kvDb.iterator({ ...BYTES, ...range })) {
        if (value.length > 0 && key.length > PARTITION_PREFIX_SIZE_BYTES && partitionOf(key) < this.options.partitions) records.push({ key, value });
      }
      if (records.length === 0) return;
      const { key, value } = this.prng.pick(records);
      const flipped = value.slice();
      const byteIndex = this.prng.int(flipped.length);
      flipped[byteIndex] = flipped[byteIndex]! ^ (1 << this.prng.int(8));
      const partition = partitionOf(key);
      this.scheduler.record(`kv flip n${this.badNode} p${partition} ${toHex(key)} ${byteIndex}`);
      await t.kvDb.put(key, flipped, BYTES);
      this.flips.push({ partition, storageKey: key.slice(), flipped, detected: false });
      this.counts.injected++;
    } finally {
      this.injecting = false;
    }
  }
}
