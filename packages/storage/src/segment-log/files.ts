/**
 * The files the segment log lives in, behind a small interface so tests (and the simulator) can
 * run the engine over memory that loses what was not synced. A write goes to the operating
 * system at once (`writeAt` is synchronous: a round's record is a few to a few hundred KiB, a
 * copy into the page cache, cheaper than a hop through libuv's thread pool); only `sync`
 * (fdatasync) waits for the disk, on the pool.
 *
 * `preallocate` writes zeros ahead of the records and makes them durable with the file's size, so
 * the records written over them later change neither the file's size nor its block allocation and
 * their fdatasync flushes data alone, with no journal commit. Alone on this machine's ext4, a 4 KiB
 * write + fdatasync took 122-128 µs appending and 73-77 µs over synced zeros (37-41 µs of CPU
 * instead of 48-52); three processes at once, 160-174 against 96-116. (etcd's WAL preallocates its
 * segment files too.)
 */
import { closeSync, fdatasync, fsync, ftruncateSync, mkdirSync, openSync, readdirSync, write, writeSync } from 'node:fs';
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { assert } from '@ringkv/stdx';

export interface SegmentFile {
  /** Writes bytes at `position`, to the operating system's cache: durable only after `sync`. */
  writeAt(bytes: Uint8Array, length: number, position: number): void;
  /** Waits until everything written so far is on disk (fdatasync). */
  sync(): Promise<void>;
  /**
   * Writes zeros over [from, to), where `from` is the file's end, then syncs the file with its new
   * size (fsync), on the pool: records later written there need no change of the file's size.
   * Nothing else may write that range until it resolves.
   */
  preallocate(from: number, to: number): Promise<void>;
  /** Cuts the file to `length` bytes. */
  truncate(length: number): void;
  close(): void;
}

export interface SegmentDirectory {
  /** Names of the files in the directory. */
  list(): string[];
  /** Creates a new, empty file; fails if it exists. */
  create(name: string): SegmentFile;
  /** Opens an existing file to write on. */
  open(name: string): SegmentFile;
  readAll(name: string): Promise<Uint8Array>;
  remove(name: string): Promise<void>;
  /** Makes the directory's entries (files created) durable. */
  syncDirectory(): Promise<void>;
}

function promised(run: (done: (err: NodeJS.ErrnoException | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => run((err) => (err === null ? resolve() : reject(err))));
}

/** What preallocate writes from (read-only: never handed out). */
const ZEROS = Buffer.alloc(1024 * 1024);

class DiskSegmentFile implements SegmentFile {
  private fd: number | undefined;
  constructor(fd: number) {
    this.fd = fd;
  }

  writeAt(bytes: Uint8Array, length: number, position: number): void {
    const fd = this.live();
    let done = 0;
    while (done < length) done += writeSync(fd, bytes, done, length - done, position + done);
  }

  sync(): Promise<void> {
    const fd = this.live();
    return promised((done) => fdatasync(fd, done));
  }

  async preallocate(from: number, to: number): Promise<void> {
    const fd = this.live();
    for (let at = from; at < to; ) {
      const length = Math.min(ZEROS.length, to - at);
      at += await new Promise<number>((resolve, reject) => write(fd, ZEROS, 0, length, at, (err, written) => (err === null ? resolve(written) : reject(err))));
    }
    await promised((done) => fsync(fd, done));
  }

  truncate(length: number): void {
    ftruncateSync(this.live(), length);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private live(): number {
    assert(this.fd !== undefined, 'segment file is closed');
    return this.fd;
  }
}

/** The segment log's directory on disk (created if missing). */
export class DiskSegmentDirectory implements SegmentDirectory {
  constructor(readonly path: string) {
    mkdirSync(path, { recursive: true });
  }

  list(): string[] {
    return readdirSync(this.path);
  }

  create(name: string): SegmentFile {
    return new DiskSegmentFile(openSync(join(this.path, name), 'wx'));
  }

  open(name: string): SegmentFile {
    return new DiskSegmentFile(openSync(join(this.path, name), 'r+'));
  }

  async readAll(name: string): Promise<Uint8Array> {
    const buf = await readFile(join(this.path, name));
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  remove(name: string): Promise<void> {
    return unlink(join(this.path, name));
  }

  async syncDirectory(): Promise<void> {
    const fd = openSync(this.path, 'r');
    try {
      await promised((done) => fsync(fd, done));
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * One file's bytes as a disk model holds them: what was written (the page cache), how much of it
 * is synced, and whether its directory entry survives a crash. The in-memory directory here and
 * the simulator's disk both keep their files as these.
 *
 * A crash keeps what was synced, a prefix of what was written since (a torn write), and past it
 * the file as the last sync left it: a record written over preallocated zeros and lost leaves
 * the zeros, not a shorter file.
 */
export class SegmentFileImage {
  data = new Uint8Array(1024);
  length = 0;
  /** Bytes below this are durable as `data` holds them. */
  synced = 0;
  /** Whether its directory entry survives a crash (the directory was synced after its creation). */
  linked = false;
  /** The file's length as of the last sync: what a crash leaves past the torn prefix. */
  private durableLength = 0;
  /** Where the writes since the last sync end (the unsynced range is synced..dirtyEnd). */
  private dirtyEnd = 0;
  /** The durable bytes from `synced` to durableLength that writes since the last sync replaced. */
  private shadow: Uint8Array | undefined;

  /** Bytes written since the last sync, from the first one on: what a crash may tear. */
  get unsyncedBytes(): number {
    return Math.max(0, this.dirtyEnd - this.synced);
  }

  write(bytes: Uint8Array, length: number, position: number): void {
    assert(position <= this.length, 'a write past the end of a segment file');
    const end = position + length;
    if (end > this.data.length) {
      const grown = new Uint8Array(Math.max(end, this.data.length * 2));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    // `shadow` covers synced..durableLength (synced never passes durableLength, and they differ
    // only after a write moved `synced` back); a write below `synced` adds the durable bytes it is
    // about to replace, which a crash would leave.
    if (position < this.synced) {
      const kept = this.data.slice(position, this.synced);
      this.shadow = this.shadow === undefined ? kept : concat(kept, this.shadow);
    }
    this.data.set(bytes.subarray(0, length), position);
    this.length = Math.max(this.length, end);
    this.synced = Math.min(this.synced, position);
    this.dirtyEnd = this.dirtyEnd > this.synced ? Math.max(this.dirtyEnd, end) : end;
  }

  /** A sync issued when the file held `upTo` bytes has completed. */
  syncedUpTo(upTo: number): void {
    const to = Math.min(upTo, this.length);
    if (to <= this.synced) return;
    if (this.shadow !== undefined) {
      const shadowEnd = this.synced + this.shadow.length;
      this.shadow = to >= shadowEnd ? undefined : this.shadow.subarray(to - this.synced);
    }
    this.synced = to;
    this.durableLength = Math.max(this.durableLength, to);
    if (this.dirtyEnd <= to) this.dirtyEnd = 0; // nothing written since is unsynced
  }

  truncate(length: number): void {
    this.length = Math.min(this.length, length);
    this.synced = Math.min(this.synced, this.length);
    this.durableLength = Math.min(this.durableLength, this.length);
    if (this.shadow !== undefined) {
      const room = Math.max(0, this.durableLength - this.synced);
      this.shadow = room === 0 ? undefined : this.shadow.subarray(0, room);
    }
    this.dirtyEnd = Math.min(this.dirtyEnd, this.length);
  }

  /** A power failure: what was synced stays, plus the first `keep` unsynced bytes (a torn write). */
  crash(keep: number): void {
    const keptEnd = this.synced + Math.min(this.unsyncedBytes, Math.max(0, keep));
    if (this.shadow !== undefined) {
      const shadowEnd = this.synced + this.shadow.length;
      if (keptEnd < shadowEnd) this.data.set(this.shadow.subarray(keptEnd - this.synced), keptEnd);
    }
    this.length = Math.max(keptEnd, this.durableLength);
    this.synced = this.length;
    this.durableLength = this.length;
    this.dirtyEnd = 0;
    this.shadow = undefined;
  }

  bytes(): Uint8Array {
    return this.data.slice(0, this.length);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Segment files in memory, for tests and the simulator: `crash()` keeps of each file only what
 * was synced, plus (when asked) a torn piece of what was not, and forgets files whose creation
 * the directory was never synced for.
 */
export class MemorySegmentDirectory implements SegmentDirectory {
  private readonly files = new Map<string, SegmentFileImage>();
  /** Fails the next sync with this error (a full or failing disk), then clears. */
  failNextSync: Error | undefined;
  /** While set, every sync waits for it first (a slow disk, for tests). */
  syncGate: Promise<void> | undefined;
  /** Fails the next preallocate with this error after half its zeros (a full disk), then clears. */
  failNextPreallocate: Error | undefined;

  list(): string[] {
    return [...this.files.keys()];
  }

  create(name: string): SegmentFile {
    assert(!this.files.has(name), `segment file ${name} exists`);
    const state = new SegmentFileImage();
    this.files.set(name, state);
    return this.handle(name, state);
  }

  open(name: string): SegmentFile {
    const state = this.files.get(name);
    assert(state !== undefined, `segment file ${name} does not exist`);
    return this.handle(name, state);
  }

  readAll(name: string): Promise<Uint8Array> {
    const state = this.files.get(name);
    assert(state !== undefined, `segment file ${name} does not exist`);
    return Promise.resolve(state.bytes());
  }

  remove(name: string): Promise<void> {
    // As unlink(2) would: removing a file that is not there is a caller's bug, not a no-op.
    if (!this.files.delete(name)) return Promise.reject(new Error(`ENOENT: no segment file ${name}`));
    return Promise.resolve();
  }

  syncDirectory(): Promise<void> {
    for (const f of this.files.values()) f.linked = true;
    return Promise.resolve();
  }

  /** A power failure: unsynced bytes are lost, except `tornBytes(name, unsynced)` of them kept as garbage-free prefix. */
  crash(tornBytes: (name: string, unsynced: number) => number = () => 0): void {
    for (const [name, f] of [...this.files]) {
      if (!f.linked) {
        this.files.delete(name);
        continue;
      }
      f.crash(tornBytes(name, f.unsyncedBytes));
    }
  }

  /** Flips one byte of a file (corruption on disk). */
  flip(name: string, position: number): void {
    const f = this.files.get(name);
    assert(f !== undefined && position < f.length, `no byte ${position} in ${name}`);
    f.data[position] = f.data[position]! ^ 0xff;
  }

  private handle(name: string, state: SegmentFileImage): SegmentFile {
    let open = true;
    const live = (): SegmentFileImage => {
      assert(open && this.files.get(name) === state, `segment file ${name} is closed or removed`);
      return state;
    };
    return {
      writeAt: (bytes, length, position) => live().write(bytes, length, position),
      sync: async () => {
        const f = live();
        const upTo = f.length;
        if (this.syncGate !== undefined) await this.syncGate;
        const error = this.failNextSync;
        if (error !== undefined) {
          this.failNextSync = undefined;
          throw error;
        }
        f.syncedUpTo(upTo);
      },
      preallocate: async (from, to) => {
        const f = live();
        const error = this.failNextPreallocate;
        if (error !== undefined) {
          this.failNextPreallocate = undefined;
          const half = Math.floor((to - from) / 2);
          f.write(new Uint8Array(half), half, from);
          throw error;
        }
        f.write(new Uint8Array(to - from), to - from, from);
        const upTo = f.length;
        if (this.syncGate !== undefined) await this.syncGate;
        f.syncedUpTo(upTo);
      },
      truncate: (length) => live().truncate(length),
      close: () => {
        open = false;
      },
    };
  }
}
