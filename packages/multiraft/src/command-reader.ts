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
 * scavenge with. Here the value is its own string, and no intermediate arrays are made.
 */
import { MsgpackReader } from '@ringkv/storage';
import type { Command, CommandOp, WriteKind } from './commands';

const KINDS: ReadonlySet<string> = new Set<WriteKind>(['put', 'delete', 'batch']);

/** Reads the write form of a command, or gives undefined (then msgpackr decodes it). */
export function readWriteCommand(data: Uint8Array): Command | undefined {
  const r = new MsgpackReader(data, 0);
  if (r.byte() !== 0x96 || r.byte() !== 0) return undefined;
  const wallMs = r.uint();
  const clientIdLength = r.strLength();
  if (clientIdLength <= 0) return undefined;
  const clientId = r.ascii(clientIdLength);
  const seq = r.uint();
  const kind = r.ascii(r.strLength());
  const opCount = r.arrayLength();
  if (clientId === undefined || seq < 1 || kind === undefined || !KINDS.has(kind) || opCount <= 0) return undefined;
  const ops: CommandOp[] = [];
  for (let i = 0; i < opCount; i++) {
    const op = readOp(r);
    if (op === undefined) return undefined;
    ops.push(op);
  }
  // Every read above that failed left the reader failed, so it is not at the end.
  if (!r.atEnd) return undefined;
  return { type: 'write', wallMs, clientId, seq, kind: kind as WriteKind, ops };
}

/** nil (undefined) or a count >= min; -1 if neither. */
function optionalCount(r: MsgpackReader, min: number): number | undefined {
  if (r.nil()) return undefined;
  const n = r.uint();
  return n >= min ? n : -1;
}

function readOp(r: MsgpackReader): CommandOp | undefined {
  const head = r.byte();
  const tag = r.byte();
  if (head === 0x95 && tag === 0) {
    const key = r.view(r.binLength());
    if (key === undefined || r.byte() !== 0x92) return undefined;
    const valueTag = r.byte();
    const value = valueTag === 0 ? r.ascii(r.strLength()) : valueTag === 1 ? r.view(r.binLength()) : undefined;
    if (value === undefined) return undefined;
    const ifVersion = optionalCount(r, 0);
    const ttlMs = optionalCount(r, 1);
    if (ifVersion === -1 || ttlMs === -1) return undefined;
    const op: { op: 'put'; key: Uint8Array; value: string | Uint8Array; ifVersion?: number; ttlMs?: number } = { op: 'put', key, value };
    if (ifVersion !== undefined) op.ifVersion = ifVersion;
    if (ttlMs !== undefined) op.ttlMs = ttlMs;
    return op;
  }
  if (head === 0x93 && tag === 1) {
    const key = r.view(r.binLength());
    const ifVersion = optionalCount(r, 0);
    if (key === undefined || ifVersion === -1) return undefined;
    return ifVersion === undefined ? { op: 'delete', key } : { op: 'delete', key, ifVersion };
  }
  return undefined;
}
