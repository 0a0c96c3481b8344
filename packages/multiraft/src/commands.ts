/**
 * What a Raft entry of a partition holds: one command, msgpack-encoded. The leader stamps each
 * command with its wall clock (`wallMs`); applying uses only that stamp, never a local clock, so
 * every replica decides TTL expiry and session expiry the same way.
 */
import type { GroupId } from '@ringkv/stdx';
import type { Value } from '@ringkv/storage';
import { CorruptionError, uintSizeBytes, writeUint } from '@ringkv/storage';
import { DecodeError, asBytes, asCount, asList, pack, unpack } from './codec';
import { readWriteCommand } from './command-reader';
import { writeWriteCommand } from './command-writer';
import type { StoreErrorCode, StoreErrorData } from './errors';

export type CommandOp =
  | { readonly op: 'put'; readonly key: Uint8Array; readonly value: Value; readonly ifVersion?: number; readonly ttlMs?: number }
  | { readonly op: 'delete'; readonly key: Uint8Array; readonly ifVersion?: number };

/** What kind of answer the client expects (the answer's shape differs per kind). */
export type WriteKind = 'put' | 'delete' | 'batch';

export type Command =
  /** A client write: all ops apply atomically, once per (clientId, seq). */
  | { readonly type: 'write'; readonly wallMs: number; readonly clientId: string; readonly seq: number; readonly kind: WriteKind; readonly ops: readonly CommandOp[] }
  /** The leader's background deletion of keys whose TTL passed (only if unchanged since). */
  | { readonly type: 'expire'; readonly wallMs: number; readonly keys: ReadonlyArray<{ readonly key: Uint8Array; readonly modRevision: number }> }
  /** Forget client sessions idle longer than the session TTL, as of `wallMs`. */
  | { readonly type: 'expireSessions'; readonly wallMs: number };

/** The answer saved with a session and returned to the waiter. */
export type Answer =
  | { readonly ok: true; readonly result: WriteResult }
  | { readonly ok: false; readonly code: StoreErrorCode; readonly message: string; readonly data: StoreErrorData };

export type WriteResult =
  | { readonly version: number; readonly createRevision: number; readonly modRevision: number }
  | { readonly deleted: boolean; readonly revision: number }
  | { readonly revision: number };

/** Values are tagged so a string and a JSON string, or bytes and a JSON array, stay apart. */
type PackedValue = [0, string] | [1, Uint8Array] | [2, unknown];

function packValue(value: Value): PackedValue {
  if (typeof value === 'string') return [0, value];
  if (value instanceof Uint8Array) return [1, value];
  return [2, value];
}

function fields(value: unknown, length: number, what: string): unknown[] {
  if (!Array.isArray(value) || value.length !== length) throw new DecodeError(`${what} is not an array of ${length}`);
  return value;
}

function wallTime(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new DecodeError('wallMs is not a finite number');
  return value;
}

function unpackValue(raw: unknown): Value {
  const packed = fields(raw, 2, 'a value');
  switch (packed[0]) {
    case 0:
      if (typeof packed[1] !== 'string') throw new DecodeError('a string value is not a string');
      return packed[1];
    case 1:
      return asBytes(packed[1], 'a bytes value');
    case 2:
      return packed[1] as Value;
    default:
      throw new DecodeError(`unknown value tag ${String(packed[0])}`);
  }
}

function unpackOp(value: unknown): CommandOp {
  const raw = asList(value, 'an op');
  if (raw[0] === 0) {
    const p = fields(raw, 5, 'a put op');
    const op: { op: 'put'; key: Uint8Array; value: Value; ifVersion?: number; ttlMs?: number } = { op: 'put', key: asBytes(p[1], 'a key'), value: unpackValue(p[2]) };
    if (p[3] !== null) op.ifVersion = asCount(p[3], 0, 'ifVersion');
    if (p[4] !== null) op.ttlMs = asCount(p[4], 1, 'ttlMs');
    return op;
  }
  if (raw[0] === 1) {
    const p = fields(raw, 3, 'a delete op');
    const key = asBytes(p[1], 'a key');
    return p[2] === null ? { op: 'delete', key } : { op: 'delete', key, ifVersion: asCount(p[2], 0, 'ifVersion') };
  }
  throw new DecodeError(`unknown op tag ${String(raw[0])}`);
}

type PackedOp = [0, Uint8Array, PackedValue, number | null, number | null] | [1, Uint8Array, number | null];

const KINDS: ReadonlySet<unknown> = new Set<WriteKind>(['put', 'delete', 'batch']);

export function encodeCommand(command: Command): Uint8Array {
  return (command.type === 'write' ? writeWriteCommand(command) : undefined) ?? encodeCommandByMsgpackr(command);
}

/** The reference encoding (exported for the tests that hold the hand writer to it). */
export function encodeCommandByMsgpackr(command: Command): Uint8Array {
  switch (command.type) {
    case 'write':
      return pack([
        0,
        command.wallMs,
        command.clientId,
        command.seq,
        command.kind,
        command.ops.map((op): PackedOp =>
          op.op === 'put' ? [0, op.key, packValue(op.value), op.ifVersion ?? null, op.ttlMs ?? null] : [1, op.key, op.ifVersion ?? null],
        ),
      ]);
    case 'expire':
      return pack([1, command.wallMs, command.keys.map((k) => [k.key, k.modRevision])]);
    case 'expireSessions':
      return pack([2, command.wallMs]);
  }
}

/**
 * Decodes the command of the entry at (`group`, `index`). Every field is checked: a command that
 * does not decode (a bug, or a newer version's command on an older node) is a CorruptionError,
 * which quarantines the partition on this node (quarantine.ts) instead of failing the round and
 * stopping every partition the node hosts, on every replica, at every restart.
 */
export function decodeCommand(data: Uint8Array, where: { group?: GroupId; index?: number } = {}): Command {
  return readWriteCommand(data) ?? decodeCommandByMsgpackr(data, where);
}

/** decodeCommand through msgpackr alone: every form, and the error for a command that does not decode. */
export function decodeCommandByMsgpackr(data: Uint8Array, where: { group?: GroupId; index?: number } = {}): Command {
  try {
    let raw: unknown;
    try {
      raw = unpack(data);
    } catch (error) {
      throw new DecodeError(`not msgpack (${error instanceof Error ? error.message : String(error)})`);
    }
    if (!Array.isArray(raw)) throw new DecodeError('not an array');
    switch (raw[0]) {
      case 0: {
        const p = fields(raw, 6, 'a write');
        if (typeof p[2] !== 'string' || p[2].length === 0) throw new DecodeError('clientId is not a non-empty string');
        if (!KINDS.has(p[4])) throw new DecodeError(`unknown write kind ${String(p[4])}`);
        if (!Array.isArray(p[5]) || p[5].length === 0) throw new DecodeError('a write has no ops');
        return { type: 'write', wallMs: wallTime(p[1]), clientId: p[2], seq: asCount(p[3], 1, 'seq'), kind: p[4] as WriteKind, ops: p[5].map(unpackOp) };
      }
      case 1: {
        const p = fields(raw, 3, 'an expire');
        if (!Array.isArray(p[2])) throw new DecodeError('expire keys are not an array');
        const keys = p[2].map((k) => {
          const pair = fields(k, 2, 'an expired key');
          return { key: asBytes(pair[0], 'an expired key'), modRevision: asCount(pair[1], 1, 'modRevision') };
        });
        return { type: 'expire', wallMs: wallTime(p[1]), keys };
      }
      case 2:
        return { type: 'expireSessions', wallMs: wallTime(fields(raw, 2, 'an expireSessions')[1]) };
      default:
        throw new DecodeError(`unknown command tag ${String(raw[0])}`);
    }
  } catch (error) {
    if (error instanceof DecodeError) throw new CorruptionError(`the command does not decode: ${error.message}`, where);
    throw error;
  }
}

// msgpack of the field names of a WriteResult (fixstr), for encodeAnswer's hand-written path.
const VERSION_FIELD = asciiFixstr('version');
const CREATE_REVISION_FIELD = asciiFixstr('createRevision');
const MOD_REVISION_FIELD = asciiFixstr('modRevision');
const DELETED_FIELD = asciiFixstr('deleted');
const REVISION_FIELD = asciiFixstr('revision');

function asciiFixstr(name: string): Uint8Array {
  return Uint8Array.from([0xa0 | name.length, ...Array.from(name, (c) => c.charCodeAt(0))]);
}

/**
 * The answer saved with every write's session. A successful write's answer is written by hand:
 * it is encoded on every replica for every write, and these are the bytes msgpackr writes for
 * `[1, result]` (a map16 of the result's fields, in the order applyOps builds them), without
 * msgpackr's shared buffer (whose slab each saved answer would keep alive in the session cache).
 */
export function encodeAnswer(answer: Answer): Uint8Array {
  if (!answer.ok) return new Uint8Array(pack([0, answer.code, answer.message, answer.data])); // a copy: pack returns a view of its slab
  const r = answer.result;
  if ('version' in r) {
    const out = new Uint8Array(5 + VERSION_FIELD.length + CREATE_REVISION_FIELD.length + MOD_REVISION_FIELD.length + uintSizeBytes(r.version) + uintSizeBytes(r.createRevision) + uintSizeBytes(r.modRevision));
    let pos = writeAnswerHeader(out, 3);
    pos = writeUint(out, putField(out, pos, VERSION_FIELD), r.version);
    pos = writeUint(out, putField(out, pos, CREATE_REVISION_FIELD), r.createRevision);
    writeUint(out, putField(out, pos, MOD_REVISION_FIELD), r.modRevision);
    return out;
  }
  if ('deleted' in r) {
    const out = new Uint8Array(5 + DELETED_FIELD.length + 1 + REVISION_FIELD.length + uintSizeBytes(r.revision));
    let pos = putField(out, writeAnswerHeader(out, 2), DELETED_FIELD);
    out[pos++] = r.deleted ? 0xc3 : 0xc2;
    writeUint(out, putField(out, pos, REVISION_FIELD), r.revision);
    return out;
  }
  const out = new Uint8Array(5 + REVISION_FIELD.length + uintSizeBytes(r.revision));
  writeUint(out, putField(out, writeAnswerHeader(out, 1), REVISION_FIELD), r.revision);
  return out;
}

/** fixarray(2), 1 (ok), map16 header of `fields` entries. */
function writeAnswerHeader(out: Uint8Array, fields: number): number {
  out[0] = 0x92;
  out[1] = 1;
  out[2] = 0xde;
  out[3] = 0;
  out[4] = fields;
  return 5;
}

function putField(out: Uint8Array, pos: number, field: Uint8Array): number {
  out.set(field, pos);
  return pos + field.length;
}

export function decodeAnswer(bytes: Uint8Array): Answer {
  const raw = unpack(bytes) as unknown[];
  if (raw[0] === 1) return { ok: true, result: raw[1] as WriteResult };
  return { ok: false, code: raw[1] as StoreErrorCode, message: raw[2] as string, data: raw[3] as StoreErrorData };
}

/** Size of a command's payload, for batch limits before proposing. */
export function commandOpsSizeBytes(ops: readonly CommandOp[]): number {
  let total = 0;
  for (const op of ops) {
    total += op.key.length + 16;
    if (op.op === 'put') {
      const v = op.value;
      total += typeof v === 'string' ? v.length * 3 : v instanceof Uint8Array ? v.length : JSON.stringify(v).length * 3;
    }
  }
  return total;
}
