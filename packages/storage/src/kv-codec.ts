/**
 * Stored forms of the KV engine's records: crc:u32le then a msgpack array (written by hand, see
 * kv-msgpack.ts; read by msgpackr). The checksum of a
 * data or session record also covers its key, so a record under the wrong key is caught too.
 *
 * Values keep their exact type: a string is a msgpack str, bytes a msgpack bin (read back as a
 * plain Uint8Array), and every other JSON value travels as its JSON text under its own tag, so
 * '1' and 1 differ, nested objects keep their key order, and a "__proto__" key survives (msgpackr
 * would rename it). The one JSON-inherent loss: -0 reads back as 0, as through JSON.
 */
import { Packr } from 'msgpackr';
import type { GroupId } from '@ringkv/stdx';
import { assert, carveBytes } from '@ringkv/stdx';
import { CHECKSUM_SIZE_BYTES, recordIntact, sealRecord } from './checksum';
import { CorruptionError } from './errors';
import type { JsonValue, KvRecord, KvRecordMeta, SessionRecord, Value } from './interfaces';
import { readU64BE, writeU64BE } from './key-bytes';
import { MsgpackReader, binHeaderSizeBytes, binSizeBytes, strHeaderSizeBytes, uintSizeBytes, writeBin, writeStrHeader, writeUint, writeUtf8 } from './kv-msgpack';

const packr = new Packr({ useRecords: false, moreTypes: false });

const RECORD_FORMAT = 1;
const KIND_STRING = 0;
const KIND_BYTES = 1;
const KIND_JSON = 2;

/** `seedKey` is the database key the checksum covers; `key` is the key named in an error. */
function open(record: Uint8Array, seedKey: Uint8Array, what: string, partition: GroupId, key: Uint8Array): unknown[] {
  if (!recordIntact(record, seedKey)) throw new CorruptionError(`${what} checksum mismatch`, { group: partition, key });
  let body: unknown;
  try {
    body = packr.unpack(record.subarray(CHECKSUM_SIZE_BYTES));
  } catch (cause) {
    throw new CorruptionError(`${what} does not decode: ${String(cause)}`, { group: partition, key });
  }
  if (!Array.isArray(body) || body[0] !== RECORD_FORMAT) throw new CorruptionError(`${what} has an unknown format`, { group: partition, key });
  return body;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function asBytes(value: unknown): Uint8Array | undefined {
  if (!(value instanceof Uint8Array)) return undefined;
  // msgpackr hands back a Buffer viewing the record; callers get a plain Uint8Array.
  return value.constructor === Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.length);
}

/**
 * Encodes a record under `storageKey` (the full database key, which seeds the checksum). Also
 * returns the record exactly as decodeRecord will read it back (its own copy of bytes, JSON
 * re-parsed), so the cache never holds anything a read from disk would not return.
 */
export function encodeRecord(storageKey: Uint8Array, record: KvRecord): { stored: Uint8Array; readBack: KvRecord } {
  const v = record.value;
  let kind: number;
  let text: string | undefined;
  let bytes: Uint8Array | undefined;
  let value: Value;
  if (typeof v === 'string') {
    kind = KIND_STRING;
    value = text = v;
  } else if (v instanceof Uint8Array) {
    kind = KIND_BYTES;
    value = bytes = new Uint8Array(v);
  } else {
    kind = KIND_JSON;
    text = JSON.stringify(v);
    value = JSON.parse(text) as JsonValue;
  }
  const { version, createRevision, modRevision, expiresAtMs } = record;
  // [RECORD_FORMAT, kind, payload, version, createRevision, modRevision, expiresAtMs?] as msgpack.
  const payloadSizeBytes = text !== undefined ? Buffer.byteLength(text, 'utf8') : bytes!.length;
  const size =
    CHECKSUM_SIZE_BYTES +
    3 +
    (text !== undefined ? strHeaderSizeBytes(payloadSizeBytes) : binHeaderSizeBytes(payloadSizeBytes)) +
    payloadSizeBytes +
    uintSizeBytes(version) +
    uintSizeBytes(createRevision) +
    uintSizeBytes(modRevision) +
    (expiresAtMs === undefined ? 0 : uintSizeBytes(expiresAtMs));
  const stored = carveBytes(size);
  let pos = CHECKSUM_SIZE_BYTES;
  stored[pos++] = expiresAtMs === undefined ? 0x96 : 0x97;
  stored[pos++] = RECORD_FORMAT;
  stored[pos++] = kind;
  if (text !== undefined) pos = writeUtf8(stored, writeStrHeader(stored, pos, payloadSizeBytes), text, payloadSizeBytes);
  else pos = writeBin(stored, pos, bytes!);
  pos = writeUint(stored, writeUint(stored, writeUint(stored, pos, version), createRevision), modRevision);
  if (expiresAtMs !== undefined) pos = writeUint(stored, pos, expiresAtMs);
  assert(pos === size, () => `record encoding wrote ${pos} of ${size} bytes`);
  const readBack: KvRecord =
    expiresAtMs === undefined ? { value, version, createRevision, modRevision } : { value, version, createRevision, modRevision, expiresAtMs };
  return { stored: sealRecord(stored, storageKey), readBack };
}

export function decodeRecord(partition: GroupId, userKey: Uint8Array, storageKey: Uint8Array, stored: Uint8Array): KvRecord {
  const body = open(stored, storageKey, 'record', partition, userKey);
  const [, kind, payload, version, createRevision, modRevision, expiresAtMs] = body;
  const bad = (): never => {
    throw new CorruptionError('record fields are malformed', { group: partition, key: userKey });
  };
  if (!isCount(version) || !isCount(createRevision) || !isCount(modRevision)) return bad();
  if (body.length > 7 || (body.length === 7 && !isCount(expiresAtMs))) return bad();
  let value: Value;
  if (kind === KIND_STRING && typeof payload === 'string') value = payload;
  else if (kind === KIND_BYTES && asBytes(payload) !== undefined) value = asBytes(payload)!;
  else if (kind === KIND_JSON && typeof payload === 'string') {
    try {
      value = JSON.parse(payload) as JsonValue;
    } catch {
      return bad();
    }
  } else return bad();
  return body.length === 7
    ? { value, version, createRevision, modRevision, expiresAtMs: expiresAtMs as number }
    : { value, version, createRevision, modRevision };
}

/**
 * decodeRecord without the value: the checksum is checked the same way, then the fields around
 * the payload are read and the payload is skipped, not decoded (a 64 KiB string value is never
 * made into a string). A record in any shape encodeRecord does not write goes through
 * decodeRecord, which says what is wrong with it.
 */
export function decodeRecordMeta(partition: GroupId, userKey: Uint8Array, storageKey: Uint8Array, stored: Uint8Array): KvRecordMeta {
  if (!recordIntact(stored, storageKey)) throw new CorruptionError('record checksum mismatch', { group: partition, key: userKey });
  const fields = stored[CHECKSUM_SIZE_BYTES];
  const kind = stored[CHECKSUM_SIZE_BYTES + 2];
  if ((fields === 0x96 || fields === 0x97) && stored[CHECKSUM_SIZE_BYTES + 1] === RECORD_FORMAT && kind !== undefined && kind <= KIND_JSON) {
    const r = new MsgpackReader(stored, CHECKSUM_SIZE_BYTES + 3);
    if (kind === KIND_BYTES) r.skipBin();
    else r.skipStr();
    const version = r.uint();
    const createRevision = r.uint();
    const modRevision = r.uint();
    const expiresAtMs = fields === 0x97 ? r.uint() : undefined;
    if (r.pos === stored.length) {
      return expiresAtMs === undefined ? { version, createRevision, modRevision } : { version, createRevision, modRevision, expiresAtMs };
    }
  }
  const { value: _value, ...meta } = decodeRecord(partition, userKey, storageKey, stored);
  return meta;
}

export function encodeSession(storageKey: Uint8Array, session: SessionRecord): Uint8Array {
  // [RECORD_FORMAT, lastSeq, answer (bin), lastSeenMs] as msgpack.
  const { lastSeq, answer, lastSeenMs } = session;
  const size = CHECKSUM_SIZE_BYTES + 2 + uintSizeBytes(lastSeq) + binSizeBytes(answer.length) + uintSizeBytes(lastSeenMs);
  const stored = carveBytes(size);
  let pos = CHECKSUM_SIZE_BYTES;
  stored[pos++] = 0x94;
  stored[pos++] = RECORD_FORMAT;
  pos = writeUint(stored, writeBin(stored, writeUint(stored, pos, lastSeq), answer), lastSeenMs);
  assert(pos === size, () => `session encoding wrote ${pos} of ${size} bytes`);
  return sealRecord(stored, storageKey);
}

export function decodeSession(partition: GroupId, storageKey: Uint8Array, stored: Uint8Array): SessionRecord {
  const [, lastSeq, answer, lastSeenMs] = open(stored, storageKey, 'session', partition, storageKey);
  const bytes = asBytes(answer);
  if (!isCount(lastSeq) || bytes === undefined || !isCount(lastSeenMs)) {
    throw new CorruptionError('session fields are malformed', { group: partition, key: storageKey });
  }
  return { lastSeq, answer: bytes, lastSeenMs };
}

export function encodeApplied(storageKey: Uint8Array, index: number): Uint8Array {
  const record = carveBytes(CHECKSUM_SIZE_BYTES + 8);
  writeU64BE(record, CHECKSUM_SIZE_BYTES, index);
  return sealRecord(record, storageKey);
}

export function decodeApplied(partition: GroupId, storageKey: Uint8Array, stored: Uint8Array): number {
  if (stored.length !== CHECKSUM_SIZE_BYTES + 8 || !recordIntact(stored, storageKey)) {
    throw new CorruptionError('applied index checksum mismatch', { group: partition, key: storageKey });
  }
  return readU64BE(stored, CHECKSUM_SIZE_BYTES);
}
