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

const encoder = new TextEncoder();
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
  out[pos] = 0xcb;
  f64[0] = n;
  for (let i = 0; i < 8; i++) out[pos + 1 + i] = f64Bytes[LITTLE_ENDIAN ? 7 - i : i]!;
  return pos + 9;
}

export function binHeaderSizeBytes(length: number): number {
  return 1 + widthOf(length);
}

/** Writes a bin header (the bytes follow it); returns the position after the header. */
export function writeBinHeader(out: Uint8Array, pos: number, length: number): number {
  return writeSized(out, pos, length, 0xc4);
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
  const width = widthOf(n);
  out[pos] = tag8 + (width === 1 ? 0 : width === 2 ? 1 : 2);
  for (let i = width; i >= 1; i--) {
    out[pos + i] = n & 0xff;
    n = Math.floor(n / 0x100);
  }
  return pos + 1 + width;
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
 * Reads back what the writers above write, for a caller that wants a record's numbers without
 * decoding its payload. `pos` is where the next item starts; a byte these writers never produce
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
    const pos = this.pos;
    if (tag !== 0xcb || pos + 9 > this.bytes.length) return this.fail();
    for (let i = 0; i < 8; i++) f64Bytes[LITTLE_ENDIAN ? 7 - i : i] = this.bytes[pos + 1 + i]!;
    const n = f64[0]!;
    if (!Number.isSafeInteger(n) || n < 0) return this.fail();
    this.pos = pos + 9;
    return n;
  }

  /** Skips a str (its header as writeStrHeader writes it) and its bytes. */
  skipStr(): void {
    const tag = this.tag();
    if ((tag & 0xe0) === 0xa0) {
      this.pos++;
      this.skip(tag & 0x1f);
    } else this.skip(tag >= 0xd9 && tag <= 0xdb ? this.sized(tag - 0xd9) : this.fail());
  }

  /** Skips a bin (its header as writeBinHeader writes it) and its bytes. */
  skipBin(): void {
    const tag = this.tag();
    this.skip(tag >= 0xc4 && tag <= 0xc6 ? this.sized(tag - 0xc4) : this.fail());
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
    if (length < 0 || this.pos + length > this.bytes.length) this.fail();
    else this.pos += length;
  }

  private fail(): -1 {
    this.pos = -1;
    return -1;
  }
}
