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

interface MemoryFileState {
  data: Uint8Array;
  length: number;
  synced: number;
  /** Whether its directory entry survives a crash (created before the last syncDirectory). */
  linked: boolean;
}

/**
 * Segment files in memory, for tests and the simulator: `crash()` keeps of each file only what
 * was synced, plus (when asked) a torn piece of what was not, and forgets files whose creation
 * the directory was never synced for.
 */
export class MemorySegmentDirectory implements SegmentDirectory {
  private readonly files = new Map<string, MemoryFileState>();
  /** Fails the next sync with this error (a full or failing disk), then clears. */
  failNextSync: Error | undefined;
  /** While set, every sync waits for it first (a slow disk, for tests). */
  syncGate: Promise<void> | undefined;

  list(): string[] {
    return [...this.files.keys()];
  }

  create(name: string): SegmentFile {
    assert(!this.files.has(name), `segment file ${name} exists`);
    const state: MemoryFileState = { data: new Uint8Array(1024), length: 0, synced: 0, linked: false };
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
    return Promise.resolve(state.data.slice(0, state.length));
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

  /** Total bytes held over all files. */
  bytes(): number {
    let n = 0;
    for (const f of this.files.values()) n += f.length;
    return n;
  }

  /** A power failure: unsynced bytes are lost, except `tornBytes(name, unsynced)` of them kept as garbage-free prefix. */
  crash(tornBytes: (name: string, unsynced: number) => number = () => 0): void {
    for (const [name, f] of [...this.files]) {
      if (!f.linked) {
        this.files.delete(name);
        continue;
      }
      const keep = Math.min(f.length - f.synced, Math.max(0, tornBytes(name, f.length - f.synced)));
      f.length = f.synced + keep;
      f.synced = f.length;
    }
  }

  /** Flips one byte of a file (corruption on disk). */
  flip(name: string, position: number): void {
    const f = this.files.get(name);
    assert(f !== undefined && position < f.length, `no byte ${position} in ${name}`);
    f.data[position] = f.data[position]! ^ 0xff;
  }

  private handle(name: string, state: MemoryFileState): SegmentFile {
    let open = true;
    const live = (): MemoryFileState => {
      assert(open && this.files.get(name) === state, `segment file ${name} is closed or removed`);
      return state;
    };
    return {
      writeAt: (bytes, length, position) => {
        const f = live();
        assert(position <= f.length, 'a write past the end of a segment file');
        const end = position + length;
        if (end > f.data.length) {
          const grown = new Uint8Array(Math.max(end, f.data.length * 2));
          grown.set(f.data.subarray(0, f.length));
          f.data = grown;
        }
        f.data.set(bytes.subarray(0, length), position);
        f.length = Math.max(f.length, end);
        if (position < f.synced) f.synced = position;
      },
      sync: async () => {
        const f = live();
        const upTo = f.length;
        if (this.syncGate !== undefined) await this.syncGate;
        const error = this.failNextSync;
        if (error !== undefined) {
          this.failNextSync = undefined;
          throw error;
        }
        f.synced = Math.max(f.synced, Math.min(upTo, f.length));
      },
      truncate: (length) => {
        const f = live();
        f.length = Math.min(f.length, length);
        f.synced = Math.min(f.synced, length);
      },
      close: () => {
        open = false;
      },
    };
  }
}
