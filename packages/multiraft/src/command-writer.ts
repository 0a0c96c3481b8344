/**
 * The common client write encoded by hand: exactly the bytes msgpackr writes for `encodeCommand`'s
 * write form, `[0, wallMs, clientId, seq, kind, ops]`, whose ops are puts of a string or bytes
 * value and deletes (command-reader.ts reads the same form back). A write with a JSON value, or a
 * number that is not a count, gives undefined and msgpackr encodes it: the bytes in the log are
 * msgpackr's either way.
 *
 * Why: every write is encoded once, on its leader, and msgpackr needed the positional arrays built
 * first and walked them generically: ~1.7 % of a node's main-thread CPU under puts (perf,
 * 2026-12-06). A 128-byte put's command: ~0.6 µs here, ~1.0 by msgpackr (a loop in node).
 */
import { Buffer } from 'node:buffer';
import { binSizeBytes, strHeaderSizeBytes, uintSizeBytes, writeBin, writeStrHeader, writeUint, writeUtf8 } from '@ringkv/storage';
import { carveBytes } from '@ringkv/stdx';
import { isCount } from './codec';
import type { Command } from './commands';

const NIL = 0xc0;

type WriteCommand = Extract<Command, { type: 'write' }>;

/** An optional count: absent, or a safe integer >= min. */
function isOptionalCount(n: number | undefined, min: number): boolean {
  return n === undefined || isCount(n, min);
}

function optionalBytes(n: number | undefined): number {
  return n === undefined ? 1 : uintSizeBytes(n);
}

function writeOptional(out: Uint8Array, pos: number, n: number | undefined): number {
  if (n !== undefined) return writeUint(out, pos, n);
  out[pos] = NIL;
  return pos + 1;
}

/** The command's bytes as msgpackr packs them, or undefined when msgpackr must (see above). */
export function writeWriteCommand(c: WriteCommand): Uint8Array | undefined {
  if (!isCount(c.wallMs) || !isCount(c.seq) || c.ops.length > 15) return undefined;
  const clientIdBytes = Buffer.byteLength(c.clientId, 'utf8');
  const kindBytes = c.kind.length; // 'put', 'delete', 'batch'
  // One UTF-8 byte length per string value, in op order.
  const valueBytes: number[] = [];
  let size = 1 + 1 + uintSizeBytes(c.wallMs) + strHeaderSizeBytes(clientIdBytes) + clientIdBytes + uintSizeBytes(c.seq) + 1 + kindBytes + 1;
  for (const op of c.ops) {
    if (!isOptionalCount(op.ifVersion, 0)) return undefined;
    size += 2 + binSizeBytes(op.key.length) + optionalBytes(op.ifVersion);
    if (op.op === 'delete') continue;
    if (!isOptionalCount(op.ttlMs, 1)) return undefined;
    const v = op.value;
    let payload: number;
    if (typeof v === 'string') {
      const n = Buffer.byteLength(v, 'utf8');
      valueBytes.push(n);
      payload = strHeaderSizeBytes(n) + n;
    } else if (v instanceof Uint8Array) payload = binSizeBytes(v.length);
    else return undefined;
    size += 2 + payload + optionalBytes(op.ttlMs);
  }
  // Carved (stdx): a command lives until its round's log write and its frames are done with it.
  const out = carveBytes(size);
  out[0] = 0x96;
  out[1] = 0;
  let pos = writeUint(out, 2, c.wallMs);
  pos = writeUtf8(out, writeStrHeader(out, pos, clientIdBytes), c.clientId, clientIdBytes);
  pos = writeUint(out, pos, c.seq);
  pos = writeUtf8(out, writeStrHeader(out, pos, kindBytes), c.kind, kindBytes);
  out[pos++] = 0x90 | c.ops.length;
  let nextValue = 0;
  for (const op of c.ops) {
    if (op.op === 'delete') {
      out[pos++] = 0x93;
      out[pos++] = 1;
      pos = writeBin(out, pos, op.key);
      pos = writeOptional(out, pos, op.ifVersion);
      continue;
    }
    out[pos++] = 0x95;
    out[pos++] = 0;
    pos = writeBin(out, pos, op.key);
    out[pos++] = 0x92;
    const v = op.value;
    if (typeof v === 'string') {
      const n = valueBytes[nextValue++]!;
      out[pos++] = 0;
      pos = writeUtf8(out, writeStrHeader(out, pos, n), v, n);
    } else {
      out[pos++] = 1;
      pos = writeBin(out, pos, v as Uint8Array);
    }
    pos = writeOptional(out, pos, op.ifVersion);
    pos = writeOptional(out, pos, op.ttlMs);
  }
  if (pos !== size) throw new Error(`command: wrote ${pos} bytes of the ${size} computed`);
  return out;
}
