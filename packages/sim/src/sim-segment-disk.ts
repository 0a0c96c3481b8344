/**
 * The disk under a node's Raft log: the directory of segment files the log engine writes
 * (packages/storage, segment-log). `open()` gives each process incarnation its view:
 *
 * - A write goes to the page cache at once (volatile). `sync` makes durable what the file held
 *   when it was called, once it completes; a crash before completion leaves the promise unsettled
 *   (the process is gone). `preallocate` is a write of zeros and a sync.
 * - A crash keeps, of each file, what was synced plus a random prefix of what was not, cut at any
 *   byte: a torn write. A file created since the directory was last synced disappears.
 * - Syncs (and directory syncs) complete in order, after a delay drawn from the seed when the disk
 *   is slow, as scheduler events.
 * - `flipBit` flips one bit of a synced byte while the node is down; the engine must refuse to
 *   boot on it. Only the newest segment's last record is spared: a damaged last record cannot be
 *   told from a torn write, and the engine cuts it as one (LevelDB's log reader does the same).
 *
 * Reads see every write, synced or not (the page cache), like a real process.
 */
import { assert } from '@ringkv/stdx';
import { SegmentFileImage, type SegmentDirectory, type SegmentFile } from '@ringkv/storage';
import { DiskModel } from './sim-disk';

export interface SegmentDiskStats {
  syncs: number;
  crashes: number;
  /** Unsynced bytes a crash kept (torn prefixes) and lost. */
  tornBytesKept: number;
  bytesLost: number;
  /** Files created and lost to a crash before the directory was synced. */
  filesLost: number;
  lostInFlight: number;
  bitFlips: number;
}

export interface SegmentBitFlip {
  readonly name: string;
  readonly position: number;
  readonly bit: number;
}

export class SimSegmentDisk extends DiskModel {
  private readonly files = new Map<string, SegmentFileImage>();
  readonly stats: SegmentDiskStats = { syncs: 0, crashes: 0, tornBytesKept: 0, bytesLost: 0, filesLost: 0, lostInFlight: 0, bitFlips: 0 };

  /** The directory a new process incarnation sees. */
  open(): SegmentDirectory {
    this.incarnation++;
    return new SimSegmentDirectory(this, this.incarnation);
  }

  /** Power loss: unsynced bytes partly lost (a torn prefix kept), pending syncs never complete. */
  crash(): void {
    this.stats.crashes++;
    this.incarnation++;
    let kept = 0;
    let lost = 0;
    for (const name of [...this.files.keys()].sort()) {
      const f = this.files.get(name)!;
      if (!f.linked) {
        this.files.delete(name);
        this.stats.filesLost++;
        continue;
      }
      const unsynced = f.unsyncedBytes;
      const keep = unsynced === 0 ? 0 : this.prng.int(unsynced + 1);
      kept += keep;
      lost += unsynced - keep;
      f.crash(keep);
    }
    this.stats.tornBytesKept += kept;
    this.stats.bytesLost += lost;
    this.scheduler.record(`${this.label} crash kept=${kept}B lost=${lost}B`);
  }

  /** Flips one bit of a synced byte (not in the newest segment's last record); undefined if none. */
  flipBit(): SegmentBitFlip | undefined {
    const names = [...this.files.keys()].filter((n) => this.files.get(n)!.synced > 0).sort();
    if (names.length === 0) return undefined;
    const newest = names[names.length - 1]!;
    const candidates: Array<{ name: string; end: number }> = [];
    for (const name of names) {
      const f = this.files.get(name)!;
      const end = name === newest ? lastRecordStart(f.data.subarray(0, f.synced)) : f.synced;
      if (end > 0) candidates.push({ name, end });
    }
    if (candidates.length === 0) return undefined;
    const { name, end } = this.prng.pick(candidates);
    const position = this.prng.int(end);
    const bit = this.prng.int(8);
    const f = this.files.get(name)!;
    f.data[position] = f.data[position]! ^ (1 << bit);
    this.stats.bitFlips++;
    this.scheduler.record(`${this.label} flip ${name} ${position}.${bit}`);
    return { name, position, bit };
  }

  /** Undoes a flip if its file is still there (the operator's repair, or a transient read error). */
  repair(flip: SegmentBitFlip): boolean {
    const f = this.files.get(flip.name);
    if (f === undefined || flip.position >= f.length) return false;
    f.data[flip.position] = f.data[flip.position]! ^ (1 << flip.bit);
    this.scheduler.record(`${this.label} repair ${flip.name} ${flip.position}`);
    return true;
  }

  // ---- what SimSegmentDirectory calls, checked against its incarnation ----

  /** @internal */
  live(incarnation: number): boolean {
    return incarnation === this.incarnation;
  }

  /** @internal */
  file(name: string): SegmentFileImage | undefined {
    return this.files.get(name);
  }

  /** @internal */
  names(): string[] {
    return [...this.files.keys()];
  }

  /** @internal */
  createFile(name: string): SegmentFileImage {
    assert(!this.files.has(name), `${this.label}: ${name} exists`);
    const f = new SegmentFileImage();
    this.files.set(name, f);
    return f;
  }

  /** @internal */
  removeFile(name: string): void {
    this.files.delete(name);
  }

  /** @internal Runs `done` when a sync issued now completes; never if the process crashed first. */
  afterSync(incarnation: number, what: string, done: () => void): Promise<void> {
    if (incarnation !== this.incarnation) return new Promise<void>(() => {});
    return this.completions.schedule(
      what,
      () => incarnation === this.incarnation,
      () => {
        if (this.faults.fsyncLies !== true) done();
        this.stats.syncs++;
      },
      () => this.stats.lostInFlight++,
    );
  }
}

/** Where the last record of a segment's bytes starts (0 if it holds one record or none). */
function lastRecordStart(bytes: Uint8Array): number {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  let last = 0;
  while (at + 8 <= bytes.length) {
    const length = view.readUInt32LE(at);
    if (length === 0 || at + 8 + length > bytes.length) break;
    last = at;
    at += 8 + length;
  }
  return last;
}

class SimSegmentDirectory implements SegmentDirectory {
  constructor(
    private readonly disk: SimSegmentDisk,
    private readonly incarnation: number,
  ) {}

  list(): string[] {
    return this.disk.names();
  }

  create(name: string): SegmentFile {
    this.check();
    return this.handle(name, this.disk.createFile(name));
  }

  open(name: string): SegmentFile {
    this.check();
    const f = this.disk.file(name);
    assert(f !== undefined, `${this.disk.label}: ${name} does not exist`);
    return this.handle(name, f);
  }

  readAll(name: string): Promise<Uint8Array> {
    const f = this.disk.file(name);
    assert(f !== undefined, `${this.disk.label}: ${name} does not exist`);
    return Promise.resolve(f.bytes());
  }

  remove(name: string): Promise<void> {
    // As unlink(2) would: removing a file that is not there is a caller's bug, not a no-op.
    if (this.disk.file(name) === undefined) return Promise.reject(new Error(`ENOENT: ${this.disk.label} has no ${name}`));
    if (this.disk.live(this.incarnation)) this.disk.removeFile(name);
    return Promise.resolve();
  }

  syncDirectory(): Promise<void> {
    const names = this.disk.names();
    return this.disk.afterSync(this.incarnation, 'dir sync', () => {
      for (const n of names) {
        const f = this.disk.file(n);
        if (f !== undefined) f.linked = true;
      }
    });
  }

  private check(): void {
    // A process from before a crash never runs again (its events are gone); a call from one is a bug.
    assert(this.disk.live(this.incarnation), `${this.disk.label}: a file call from a dead incarnation`);
  }

  private handle(name: string, f: SegmentFileImage): SegmentFile {
    const disk = this.disk;
    const incarnation = this.incarnation;
    let open = true;
    const live = (): boolean => open && disk.live(incarnation) && disk.file(name) === f;
    return {
      writeAt(bytes: Uint8Array, length: number, position: number): void {
        if (live()) f.write(bytes, length, position);
      },
      sync(): Promise<void> {
        const upTo = f.length;
        return disk.afterSync(incarnation, `sync ${name}`, () => {
          if (disk.file(name) === f) f.syncedUpTo(upTo);
        });
      },
      preallocate(from: number, to: number): Promise<void> {
        if (live()) f.write(new Uint8Array(to - from), to - from, from);
        const upTo = f.length;
        return disk.afterSync(incarnation, `preallocate ${name}`, () => {
          if (disk.file(name) === f) f.syncedUpTo(upTo);
        });
      },
      truncate(length: number): void {
        if (live()) f.truncate(length);
      },
      close(): void {
        open = false;
      },
    };
  }
}

