/**
 * Hand-written msgpack for the fixed shapes written once per applied command (session records,
 * data records, write answers): exactly the bytes msgpackr (useRecords: false) writes for the
 * same values, so stored records, digests and snapshots do not change, and any msgpack reader
 * (msgpackr included) decodes them. Writing into one exactly sized array skips msgpackr's shared
 * 8 KiB slabs (a fresh slab every ~30 records, and each packed result a Buffer view to copy out
 * of it), which was most of the encoding cost per write.
 *
 * The tests compare every writer here against msgpackr over random values.
 */
import { Buffer } from 'node:buffer';

const encoder = new TextEncoder();
const latin1Slice = Buffer.prototype.latin1Slice as (this: Uint8Array, start: number, end: number) => string;
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Bytes of a non-negative integer as msgpackr writes it (a float64 above 32 bits). */
export function uintSizeBytes(n: number): number {
  return n < 0x80 ? 1 : n <= 0xffffffff ? 1 + widthOf(n) : 9;
}

/** Writes a non-negative integer at `pos`; returns the position after it. */
export function writeUint(out: Uint8Array, pos: number, n: number): number {
  if (n < 0x80) {
    out[pos] = n;
    return pos + 1;
  }
  if (n <= 0xffffffff) return writeSized(out, pos, n, 0xcc);
  return writeFloat64(out, pos, n);
}

/** A msgpack float64 (0xcb, then the number big-endian); returns the position after it. */
function writeFloat64(out: Uint8Array, pos: number, n: number): number {
  out[pos] = 0xcb;
  f64[0] = n;
  for (let i = 0; i < 8; i++) out[pos + 1 + i] = f64Bytes[LITTLE_ENDIAN ? 7 - i : i]!;
  return pos + 9;
}

/** Bytes of a number >= 0 as msgpackr writes it: an integer below 2^32 as writeUint does, anything else as a float64. */
export function numberSizeBytes(n: number): number {
  return n >>> 0 === n ? uintSizeBytes(n) : 9;
}

/** Writes a number >= 0 as msgpackr does (see numberSizeBytes); returns the position after it. */
export function writeNumber(out: Uint8Array, pos: number, n: number): number {
  return n >>> 0 === n ? writeUint(out, pos, n) : writeFloat64(out, pos, n);
}

/** Bytes of an array header for `length` items (fixarray, array16, array32). */
export function arrayHeaderSizeBytes(length: number): number {
  return length <= 15 ? 1 : length <= 0xffff ? 3 : 5;
}

/** Writes an array header (its items follow); returns the position after it. */
export function writeArrayHeader(out: Uint8Array, pos: number, length: number): number {
  if (length <= 15) {
    out[pos] = 0x90 | length;
    return pos + 1;
  }
  const width = length <= 0xffff ? 2 : 4;
  out[pos] = width === 2 ? 0xdc : 0xdd;
  for (let i = width; i >= 1; i--) {
    out[pos + i] = length & 0xff;
    length = Math.floor(length / 0x100);
  }
  return pos + 1 + width;
}

export function binHeaderSizeBytes(length: number): number {
  return 1 + widthOf(length);
}

/** Writes a bin header (the bytes follow it); returns the position after the header. */
export function writeBinHeader(out: Uint8Array, pos: number, length: number): number {
  return writeSized(out, pos, length, 0xc4);
}

/** Bytes of a whole bin: header and `length` bytes. */
export function binSizeBytes(length: number): number {
  return binHeaderSizeBytes(length) + length;
}

/** Writes a whole bin (header, then `bytes`); returns the position after it. */
export function writeBin(out: Uint8Array, pos: number, bytes: Uint8Array): number {
  pos = writeBinHeader(out, pos, bytes.length);
  out.set(bytes, pos);
  return pos + bytes.length;
}

export function strHeaderSizeBytes(byteLength: number): number {
  return byteLength < 0x20 ? 1 : 1 + widthOf(byteLength);
}

/** Writes a str header for `byteLength` UTF-8 bytes; returns the position after the header. */
export function writeStrHeader(out: Uint8Array, pos: number, byteLength: number): number {
  if (byteLength < 0x20) {
    out[pos] = 0xa0 | byteLength;
    return pos + 1;
  }
  return writeSized(out, pos, byteLength, 0xd9);
}

/** Bytes msgpack gives a length or integer below 2^32 after its type byte: 1, 2 or 4. */
function widthOf(n: number): 1 | 2 | 4 {
  return n < 0x100 ? 1 : n < 0x10000 ? 2 : 4;
}

/**
 * Writes n (< 2^32) after the type byte of its width: `tag8` for 1 byte, tag8 + 1 for 2 and
 * tag8 + 2 for 4 (msgpack numbers uint8/16/32, bin8/16/32 and str8/16/32 that way); big-endian.
 */
function writeSized(out: Uint8Array, pos: number, n: number, tag8: number): number {
  if (n < 0x100) {
    out[pos] = tag8;
    out[pos + 1] = n;
    return pos + 2;
  }
  if (n < 0x10000) {
    out[pos] = tag8 + 1;
    out[pos + 1] = n >>> 8;
    out[pos + 2] = n & 0xff;
    return pos + 3;
  }
  out[pos] = tag8 + 2;
  out[pos + 1] = n >>> 24;
  out[pos + 2] = (n >>> 16) & 0xff;
  out[pos + 3] = (n >>> 8) & 0xff;
  out[pos + 4] = n & 0xff;
  return pos + 5;
}

/**
 * UTF-8 bytes of `text` as msgpackr writes them. msgpackr encodes strings shorter than 64
 * UTF-16 units with its own loop, which writes a lone surrogate as its 3-byte form, and longer
 * ones with Buffer's encoder, which writes U+FFFD (also 3 bytes) instead, as TextEncoder does;
 * both are kept here so a stored record is the same bytes either way. Both write
 * Buffer.byteLength(text) bytes.
 */
export function writeUtf8(out: Uint8Array, pos: number, text: string, byteLength: number): number {
  if (text.length >= 0x40) return pos + encoder.encodeInto(text, out.subarray(pos, pos + byteLength)).written;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) out[pos++] = c;
    else if (c < 0x800) {
      out[pos++] = (c >> 6) | 0xc0;
      out[pos++] = (c & 0x3f) | 0x80;
    } else {
      const d = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if ((c & 0xfc00) === 0xd800 && (d & 0xfc00) === 0xdc00) {
        c = 0x10000 + ((c & 0x03ff) << 10) + (d & 0x03ff);
        i++;
        out[pos++] = (c >> 18) | 0xf0;
        out[pos++] = ((c >> 12) & 0x3f) | 0x80;
        out[pos++] = ((c >> 6) & 0x3f) | 0x80;
        out[pos++] = (c & 0x3f) | 0x80;
      } else {
        out[pos++] = (c >> 12) | 0xe0;
        out[pos++] = ((c >> 6) & 0x3f) | 0x80;
        out[pos++] = (c & 0x3f) | 0x80;
      }
    }
  }
  return pos;
}

/**
 * Reads back what the writers above (and msgpackr, for these types) write, for a caller that
 * wants a record's numbers without decoding its payload, or a fixed shape without msgpackr. `pos` is where the next item starts; a byte these writers never produce
 * (or the end of the bytes) sets it to -1 for good, so a caller reads every field it expects and
 * checks `pos` once at the end (then falls back to a full decoder, which says what is wrong).
 */
export class MsgpackReader {
  constructor(
    private readonly bytes: Uint8Array,
    public pos: number,
  ) {}

  /** A non-negative integer as writeUint writes it (a float64 only if it is one); -1 if not. */
  uint(): number {
    const tag = this.tag();
    if (tag < 0x80) {
      if (tag >= 0) this.pos++;
      return tag;
    }
    if (tag >= 0xcc && tag <= 0xce) return this.sized(tag - 0xcc);
    if (tag !== 0xcb) return this.fail();
    const n = this.float64();
    return Number.isSafeInteger(n) && n >= 0 ? n : this.fail();
  }

  /** A finite number >= 0 as writeNumber writes it (an integer, or a float64); -1 if not. */
  number(): number {
    if (this.tag() !== 0xcb) return this.uint();
    const n = this.float64();
    return n >= 0 && n !== Infinity ? n : this.fail();
  }

  /** The float64 at `pos` (its 0xcb tag already seen), read past; NaN and the read failed if it is cut short. */
  private float64(): number {
    const pos = this.pos;
    if (pos + 9 > this.bytes.length) {
      this.fail();
      return NaN;
    }
    for (let i = 0; i < 8; i++) f64Bytes[LITTLE_ENDIAN ? 7 - i : i] = this.bytes[pos + 1 + i]!;
    this.pos = pos + 9;
    return f64[0]!;
  }

  /** Skips a str (its header as writeStrHeader writes it) and its bytes. */
  skipStr(): void {
    this.skip(this.strLength());
  }

  /** Skips a bin (its header as writeBinHeader writes it) and its bytes. */
  skipBin(): void {
    this.skip(this.binLength());
  }

  /** True when every byte was read (never after a failed read). */
  get atEnd(): boolean {
    return this.pos === this.bytes.length;
  }

  /** The next byte, whatever it is; -1 past the end or after a failed read. */
  byte(): number {
    const tag = this.tag();
    if (tag >= 0) this.pos++;
    return tag;
  }

  /** Skips a nil and says so; reads nothing when the next item is something else. */
  nil(): boolean {
    if (this.tag() !== 0xc0) return false;
    this.pos++;
    return true;
  }

  /** The length of an array header (fixarray, array16, array32); -1 if the next item is none. */
  arrayLength(): number {
    const tag = this.tag();
    if ((tag & 0xf0) === 0x90) {
      this.pos++;
      return tag & 0x0f;
    }
    return tag === 0xdc || tag === 0xdd ? this.sized(tag - 0xdb) : this.fail();
  }

  /** The byte length of a str header (fixstr, str8-32); -1 if the next item is none. */
  strLength(): number {
    const tag = this.tag();
    if ((tag & 0xe0) === 0xa0) {
      this.pos++;
      return tag & 0x1f;
    }
    return tag >= 0xd9 && tag <= 0xdb ? this.sized(tag - 0xd9) : this.fail();
  }

  /** The byte length of a bin header (bin8-32); -1 if the next item is none. */
  binLength(): number {
    const tag = this.tag();
    return tag >= 0xc4 && tag <= 0xc6 ? this.sized(tag - 0xc4) : this.fail();
  }

  /** The next `length` bytes as a plain Uint8Array over the same memory; undefined if there are fewer. */
  view(length: number): Uint8Array | undefined {
    const start = this.pos;
    this.skip(length);
    return this.pos < 0 ? undefined : new Uint8Array(this.bytes.buffer, this.bytes.byteOffset + start, length);
  }

  /**
   * The next `length` bytes as a string of their own (not a slice of a larger one) if all are
   * ASCII; undefined, and the read failed, otherwise.
   */
  ascii(length: number): string | undefined {
    const start = this.pos;
    this.skip(length);
    if (this.pos < 0) return undefined;
    for (let i = start; i < this.pos; i++) {
      if (this.bytes[i]! >= 0x80) {
        this.fail();
        return undefined;
      }
    }
    return latin1Slice.call(this.bytes, start, this.pos);
  }

  /** The type byte at `pos`, or -1 past the end or after a failed read. */
  private tag(): number {
    return this.pos < 0 || this.pos >= this.bytes.length ? this.fail() : this.bytes[this.pos]!;
  }

  /** A big-endian length or integer of 1, 2 or 4 bytes after the type byte (`code` 0, 1, 2). */
  private sized(code: number): number {
    const width = code === 0 ? 1 : code === 1 ? 2 : 4;
    const pos = this.pos;
    if (pos + 1 + width > this.bytes.length) return this.fail();
    let n = 0;
    for (let i = 1; i <= width; i++) n = n * 0x100 + this.bytes[pos + i]!;
    this.pos = pos + 1 + width;
    return n;
  }

  private skip(length: number): void {
    if (this.pos < 0 || length < 0 || this.pos + length > this.bytes.length) this.fail();
    else this.pos += length;
  }

  private fail(): -1 {
    this.pos = -1;
    return -1;
  }
}
