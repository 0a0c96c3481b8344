/**
 * The common client write decoded by hand: what msgpackr writes for `encodeCommand`'s write form,
 * `[0, wallMs, clientId, seq, kind, ops]`, whose ops are puts of a string (ASCII) or bytes value
 * and deletes. Anything else, and anything that does not read exactly as that form (a field of
 * another type or range, bytes left over, a string that is not ASCII), gives undefined and goes
 * through msgpackr (decodeCommand), which decodes it or names what is wrong: this path never
 * refuses a command, and it returns what msgpackr's path would, field for field.
 *
 * Why: every replica decodes every write it applies, and what it decodes lives on. msgpackr
 * decodes a command's strings in one native call that turns the rest of the command into one
 * string (clientId, the key's and the value's bytes and headers: 190 characters for a 128-byte
 * put) and hands back slices of it; a cached value or a watch event holding the value kept that
 * whole string alive, one per write per node, promoted with the log entries they outlive a
 * scavenge with. Here the value is its own string (latin1Slice of its bytes), kinds are the
 * constants, and no intermediate arrays are made.
 */
import { Buffer } from 'node:buffer';
import type { Command, CommandOp, WriteKind } from './commands';

const KIND_PUT = [0x70, 0x75, 0x74]; // 'put'
const KIND_DELETE = [0x64, 0x65, 0x6c, 0x65, 0x74, 0x65]; // 'delete'
const KIND_BATCH = [0x62, 0x61, 0x74, 0x63, 0x68]; // 'batch'

const latin1Slice = Buffer.prototype.latin1Slice as (this: Uint8Array, start: number, end: number) => string;

/** Reads the write form of a command, or gives undefined (then msgpackr decodes it). */
export function readWriteCommand(data: Uint8Array): Command | undefined {
  const r = new Reader(data);
  if (r.byte() !== 0x96 || r.byte() !== 0) return undefined;
  const wallMs = r.number();
  const clientIdLength = r.strLength();
  if (clientIdLength <= 0) return undefined;
  const clientId = r.ascii(clientIdLength);
  const seq = r.uint();
  const kind = r.kind();
  const opCount = r.arrayLength();
  if (clientId === undefined || seq < 1 || kind === undefined || opCount <= 0) return undefined;
  const ops: CommandOp[] = [];
  for (let i = 0; i < opCount; i++) {
    const op = r.op();
    if (op === undefined) return undefined;
    ops.push(op);
  }
  if (!r.atEnd() || !Number.isFinite(wallMs)) return undefined;
  return { type: 'write', wallMs, clientId, seq, kind, ops };
}

/** A cursor over msgpack bytes; every read past a mismatch leaves `pos` at -1 and gives -1 or undefined. */
class Reader {
  pos = 0;
  private view: DataView | undefined;

  constructor(private readonly bytes: Uint8Array) {}

  atEnd(): boolean {
    return this.pos === this.bytes.length;
  }

  byte(): number {
    if (this.pos < 0 || this.pos >= this.bytes.length) return this.fail();
    return this.bytes[this.pos++]!;
  }

  /** A non-negative integer (fixint, uint 8-64, or a float64 holding one), as msgpackr writes counts. */
  uint(): number {
    const tag = this.byte();
    if (tag < 0x80) return tag;
    if (tag >= 0xcc && tag <= 0xce) return this.be(1 << (tag - 0xcc));
    if (tag === 0xcf) {
      const high = this.be(4);
      const low = this.be(4);
      const n = high * 0x1_0000_0000 + low;
      return high < 0 || low < 0 || !Number.isSafeInteger(n) ? this.fail() : n;
    }
    if (tag === 0xcb) {
      const n = this.float64();
      return Number.isSafeInteger(n) && n >= 0 ? n : this.fail();
    }
    return this.fail();
  }

  /** A number as msgpackr writes wallMs: a non-negative integer or a float64 (-1 for anything else). */
  number(): number {
    if (this.bytes[this.pos] === 0xcb) {
      this.pos++;
      return this.float64();
    }
    return this.uint();
  }

  strLength(): number {
    const tag = this.byte();
    if ((tag & 0xe0) === 0xa0) return tag & 0x1f;
    if (tag >= 0xd9 && tag <= 0xdb) return this.be(1 << (tag - 0xd9));
    return this.fail();
  }

  binLength(): number {
    const tag = this.byte();
    if (tag >= 0xc4 && tag <= 0xc6) return this.be(1 << (tag - 0xc4));
    return this.fail();
  }

  arrayLength(): number {
    const tag = this.byte();
    if ((tag & 0xf0) === 0x90) return tag & 0x0f;
    if (tag === 0xdc || tag === 0xdd) return this.be(tag === 0xdc ? 2 : 4);
    return this.fail();
  }

  /** `length` bytes as a string of their own if all are ASCII; undefined otherwise. */
  ascii(length: number): string | undefined {
    const start = this.pos;
    const end = start + length;
    if (length < 0 || start < 0 || end > this.bytes.length) return this.failed();
    for (let i = start; i < end; i++) if (this.bytes[i]! >= 0x80) return this.failed();
    this.pos = end;
    return latin1Slice.call(this.bytes, start, end);
  }

  /** `length` bytes as a view (what msgpackr's bin gives, as a plain Uint8Array). */
  bin(length: number): Uint8Array | undefined {
    const start = this.pos;
    if (length < 0 || start < 0 || start + length > this.bytes.length) return this.failed();
    this.pos = start + length;
    return new Uint8Array(this.bytes.buffer, this.bytes.byteOffset + start, length);
  }

  /** The write's kind, one of the constant strings. */
  kind(): WriteKind | undefined {
    const length = this.strLength();
    const start = this.pos;
    if (length < 0 || start + length > this.bytes.length) return this.failed();
    this.pos = start + length;
    if (this.matches(start, length, KIND_PUT)) return 'put';
    if (this.matches(start, length, KIND_DELETE)) return 'delete';
    if (this.matches(start, length, KIND_BATCH)) return 'batch';
    return this.failed();
  }

  /** nil (undefined) or a count >= min; -1 if neither. */
  optionalCount(min: number): number | undefined {
    if (this.bytes[this.pos] === 0xc0) {
      this.pos++;
      return undefined;
    }
    const n = this.uint();
    return n >= min ? n : this.fail();
  }

  op(): CommandOp | undefined {
    const head = this.byte();
    const tag = this.byte();
    if (head === 0x95 && tag === 0) {
      const key = this.bin(this.binLength());
      if (key === undefined || this.byte() !== 0x92) return undefined;
      const valueTag = this.byte();
      let value: string | Uint8Array | undefined;
      if (valueTag === 0) value = this.ascii(this.strLength());
      else if (valueTag === 1) value = this.bin(this.binLength());
      if (value === undefined) return undefined;
      const ifVersion = this.optionalCount(0);
      const ttlMs = this.optionalCount(1);
      if (ifVersion === -1 || ttlMs === -1 || this.pos < 0) return undefined;
      const op: { op: 'put'; key: Uint8Array; value: string | Uint8Array; ifVersion?: number; ttlMs?: number } = { op: 'put', key, value };
      if (ifVersion !== undefined) op.ifVersion = ifVersion;
      if (ttlMs !== undefined) op.ttlMs = ttlMs;
      return op;
    }
    if (head === 0x93 && tag === 1) {
      const key = this.bin(this.binLength());
      if (key === undefined) return undefined;
      const ifVersion = this.optionalCount(0);
      if (ifVersion === -1 || this.pos < 0) return undefined;
      return ifVersion === undefined ? { op: 'delete', key } : { op: 'delete', key, ifVersion };
    }
    return undefined;
  }

  private matches(start: number, length: number, expected: readonly number[]): boolean {
    if (length !== expected.length) return false;
    for (let i = 0; i < length; i++) if (this.bytes[start + i] !== expected[i]) return false;
    return true;
  }

  /** A big-endian unsigned integer of `width` (1, 2 or 4) bytes. */
  private be(width: number): number {
    const start = this.pos;
    if (start < 0 || start + width > this.bytes.length) return this.fail();
    let n = 0;
    for (let i = 0; i < width; i++) n = n * 0x100 + this.bytes[start + i]!;
    this.pos = start + width;
    return n;
  }

  private float64(): number {
    const start = this.pos;
    if (start < 0 || start + 8 > this.bytes.length) return this.fail();
    this.view ??= new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    this.pos = start + 8;
    return this.view.getFloat64(start);
  }

  private fail(): -1 {
    this.pos = -1;
    return -1;
  }

  private failed(): undefined {
    this.pos = -1;
    return undefined;
  }
}
