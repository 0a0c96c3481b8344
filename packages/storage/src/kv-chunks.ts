/**
 * The wire form of a partition export: a sequence of chunks, each checksummed on its own so a
 * receiver can verify every chunk before it changes anything.
 *
 *   chunk: crc:u32le magic:"RKVX" format:u8 partition:u32be seq:u32be last:u8
 *          itemsBefore:u32be itemCount:u32be item*
 *   item:  tag:u8 keyLength:u32be key valueLength:u32be value
 *
 * Items are stored records copied verbatim (each keeps its own checksum, re-verified on import):
 * tag 'd' a data record keyed by user key, 'c' a session keyed by client id, 'a' the applied
 * index with an empty key. The last chunk has last = 1; `itemsBefore` lets the receiver detect a
 * missing chunk, `seq` a reordered one. An empty partition still exports one (last) chunk.
 */
import type { GroupId } from '@ringkv/stdx';
import { CHECKSUM_SIZE_BYTES, recordIntact, sealRecord } from './checksum';
import { CorruptionError } from './errors';
import { readU32BE, writeU32BE } from './key-bytes';

const MAGIC = [0x52, 0x4b, 0x56, 0x58]; // "RKVX"
const CHUNK_FORMAT = 1;
const HEADER_SIZE_BYTES = CHECKSUM_SIZE_BYTES + 4 + 1 + 4 + 4 + 1 + 4 + 4;
const ITEM_OVERHEAD_BYTES = 1 + 4 + 4;

export interface ChunkItem {
  readonly tag: number;
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

export interface ParsedChunk {
  readonly seq: number;
  readonly last: boolean;
  readonly itemsBefore: number;
  readonly items: ChunkItem[];
}

/** Packs items into chunks of about chunkSizeBytes (an item larger than that gets a chunk of its own). */
export class ChunkWriter {
  private pending: ChunkItem[] = [];
  private pendingBytes = 0;
  private seq = 0;
  private itemsBefore = 0;

  constructor(
    private readonly partition: GroupId,
    private readonly chunkSizeBytes: number,
  ) {}

  /** Adds an item; returns a finished chunk when the current one is full. */
  add(item: ChunkItem): Uint8Array | undefined {
    this.pending.push(item);
    this.pendingBytes += ITEM_OVERHEAD_BYTES + item.key.length + item.value.length;
    return this.pendingBytes >= this.chunkSizeBytes ? this.flush(false) : undefined;
  }

  finish(): Uint8Array {
    return this.flush(true);
  }

  private flush(last: boolean): Uint8Array {
    const chunk = new Uint8Array(HEADER_SIZE_BYTES + this.pendingBytes);
    chunk.set(MAGIC, 4);
    chunk[8] = CHUNK_FORMAT;
    writeU32BE(chunk, 9, this.partition);
    writeU32BE(chunk, 13, this.seq);
    chunk[17] = last ? 1 : 0;
    writeU32BE(chunk, 18, this.itemsBefore);
    writeU32BE(chunk, 22, this.pending.length);
    let at = HEADER_SIZE_BYTES;
    for (const item of this.pending) {
      chunk[at] = item.tag;
      writeU32BE(chunk, at + 1, item.key.length);
      chunk.set(item.key, at + 5);
      at += 5 + item.key.length;
      writeU32BE(chunk, at, item.value.length);
      chunk.set(item.value, at + 4);
      at += 4 + item.value.length;
    }
    this.seq++;
    this.itemsBefore += this.pending.length;
    this.pending = [];
    this.pendingBytes = 0;
    return sealRecord(chunk);
  }
}

/** Verifies one chunk's checksum and framing; throws CorruptionError naming the partition otherwise. */
export function parseChunk(partition: GroupId, chunk: Uint8Array): ParsedChunk {
  const fail = (detail: string): never => {
    throw new CorruptionError(`snapshot chunk: ${detail}`, { group: partition });
  };
  if (chunk.length < HEADER_SIZE_BYTES) return fail(`${chunk.length} bytes is shorter than a chunk header`);
  if (!recordIntact(chunk)) return fail('checksum mismatch');
  if (MAGIC.some((b, i) => chunk[4 + i] !== b) || chunk[8] !== CHUNK_FORMAT) return fail('not a RingKV partition chunk');
  if (readU32BE(chunk, 9) !== partition) return fail(`belongs to partition ${readU32BE(chunk, 9)}`);
  const seq = readU32BE(chunk, 13);
  const lastFlag = chunk[17];
  if (lastFlag !== 0 && lastFlag !== 1) return fail('bad last flag');
  const itemsBefore = readU32BE(chunk, 18);
  const count = readU32BE(chunk, 22);
  const items: ChunkItem[] = [];
  let at = HEADER_SIZE_BYTES;
  for (let i = 0; i < count; i++) {
    if (at + 5 > chunk.length) return fail('item header runs past the end');
    const tag = chunk[at]!;
    const keyLength = readU32BE(chunk, at + 1);
    at += 5;
    if (at + keyLength + 4 > chunk.length) return fail('item key runs past the end');
    const key = chunk.subarray(at, at + keyLength);
    at += keyLength;
    const valueLength = readU32BE(chunk, at);
    at += 4;
    if (at + valueLength > chunk.length) return fail('item value runs past the end');
    items.push({ tag, key, value: chunk.subarray(at, at + valueLength) });
    at += valueLength;
  }
  if (at !== chunk.length) return fail('trailing bytes after the last item');
  return { seq, last: lastFlag === 1, itemsBefore, items };
}
