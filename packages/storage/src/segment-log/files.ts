/**
 * The files the segment log lives in, behind a small interface so tests (and the simulator) can
 * run the engine over memory that loses what was not synced. A write goes to the operating
 * system at once (`writeAt` is synchronous: a round's record is a few to a few hundred KiB, a
 * copy into the page cache, cheaper than a hop through libuv's thread pool); only `sync`
 * (fdatasync) waits for the disk, on the pool.
 */
import { closeSync, fdatasync, fsync, ftruncateSync, mkdirSync, openSync, readdirSync, writeSync } from 'node:fs';
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { assert } from '@ringkv/stdx';

export interface SegmentFile {
  /** Writes bytes at `position`, to the operating system's cache: durable only after `sync`. */
  writeAt(bytes: Uint8Array, length: number, position: number): void;
  /** Waits until everything written so far is on disk (fdatasync). */
  sync(): Promise<void>;
  /** Cuts the file to `length` bytes (a torn tail found at open). */
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
 */
export class SegmentFileImage {
  data = new Uint8Array(1024);
  length = 0;
  synced = 0;
  /** Whether its directory entry survives a crash (the directory was synced after its creation). */
  linked = false;

  write(bytes: Uint8Array, length: number, position: number): void {
    assert(position <= this.length, 'a write past the end of a segment file');
    const end = position + length;
    if (end > this.data.length) {
      const grown = new Uint8Array(Math.max(end, this.data.length * 2));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(bytes.subarray(0, length), position);
    this.length = Math.max(this.length, end);
    this.synced = Math.min(this.synced, position);
  }

  /** A sync issued when the file held `upTo` bytes has completed. */
  syncedUpTo(upTo: number): void {
    this.synced = Math.max(this.synced, Math.min(upTo, this.length));
  }

  truncate(length: number): void {
    this.length = Math.min(this.length, length);
    this.synced = Math.min(this.synced, this.length);
  }

  /** A power failure: what was synced stays, plus the first `keep` unsynced bytes (a torn write). */
  crash(keep: number): void {
    this.length = this.synced + Math.min(this.length - this.synced, Math.max(0, keep));
    this.synced = this.length;
  }

  bytes(): Uint8Array {
    return this.data.slice(0, this.length);
  }
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
      f.crash(tornBytes(name, f.length - f.synced));
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
      truncate: (length) => live().truncate(length),
      close: () => {
        open = false;
      },
    };
  }
}
