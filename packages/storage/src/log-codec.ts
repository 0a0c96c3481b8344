/**
 * Stored forms of the Raft log's records. Entries use a fixed binary header (they are the hot
 * path: one per proposal); the hard state and the compaction point are small msgpackr arrays.
 * Records are carved (stdx carveBytes): each goes to LevelDB, a native call. Every record starts with a CRC32C of the rest, and carries its own group (and index), so a
 * record that is torn, flipped or stored under the wrong key is reported, never returned.
 *
 *   entry: crc:u32le format:u8 type:u8 group:u32be index:u64be term:u64be data...
 */
import { Packr } from 'msgpackr';
import type { GroupId, NodeId } from '@ringkv/stdx';
import { carveBytes } from '@ringkv/stdx';
import { CHECKSUM_SIZE_BYTES, recordIntact, sealRecord } from './checksum';
import { CorruptionError } from './errors';
import type { LogConfState, LogEntry, LogHardState, LogSnapshot } from './interfaces';
import { readU32BE, readU64BE, writeU32BE, writeU64BE } from './key-bytes';

const ENTRY_FORMAT = 1;
const ENTRY_HEADER_SIZE_BYTES = CHECKSUM_SIZE_BYTES + 1 + 1 + 4 + 8 + 8;
const META_FORMAT = 1;

const packr = new Packr({ useRecords: false, moreTypes: false });

export function encodeEntry(group: GroupId, entry: LogEntry): Uint8Array {
  const record = carveBytes(ENTRY_HEADER_SIZE_BYTES + entry.data.length);
  record[4] = ENTRY_FORMAT;
  record[5] = entry.type === 'normal' ? 0 : 1;
  writeU32BE(record, 6, group);
  writeU64BE(record, 10, entry.index);
  writeU64BE(record, 18, entry.term);
  record.set(entry.data, ENTRY_HEADER_SIZE_BYTES);
  return sealRecord(record);
}

/** Decodes an entry read from under key (group, index); throws CorruptionError on any mismatch. */
export function decodeEntry(group: GroupId, index: number, record: Uint8Array): LogEntry {
  const where = { group, index };
  if (record.length < ENTRY_HEADER_SIZE_BYTES) throw new CorruptionError(`entry record is ${record.length} bytes, shorter than its header`, where);
  if (!recordIntact(record)) throw new CorruptionError('entry checksum mismatch', where);
  if (record[4] !== ENTRY_FORMAT) throw new CorruptionError(`unknown entry format ${record[4]}`, where);
  const typeCode = record[5];
  if (typeCode !== 0 && typeCode !== 1) throw new CorruptionError(`unknown entry type ${typeCode}`, where);
  if (readU32BE(record, 6) !== group || readU64BE(record, 10) !== index) {
    throw new CorruptionError(`entry of group ${readU32BE(record, 6)} index ${readU64BE(record, 10)} is stored under the wrong key`, where);
  }
  return { term: readU64BE(record, 18), index, type: typeCode === 0 ? 'normal' : 'confChange', data: record.subarray(ENTRY_HEADER_SIZE_BYTES) };
}

function sealMeta(body: unknown[]): Uint8Array {
  const packed = packr.pack(body);
  const record = carveBytes(CHECKSUM_SIZE_BYTES + packed.length);
  record.set(packed, CHECKSUM_SIZE_BYTES);
  return sealRecord(record);
}

function openMeta(group: GroupId, what: string, record: Uint8Array): unknown[] {
  const where = { group };
  if (!recordIntact(record)) throw new CorruptionError(`${what} checksum mismatch`, where);
  let body: unknown;
  try {
    body = packr.unpack(record.subarray(CHECKSUM_SIZE_BYTES));
  } catch (cause) {
    throw new CorruptionError(`${what} does not decode: ${String(cause)}`, where);
  }
  if (!Array.isArray(body) || body[0] !== META_FORMAT || body[1] !== group) {
    throw new CorruptionError(`${what} has an unknown format or belongs to another group`, where);
  }
  return body;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isNodeList(value: unknown): value is NodeId[] {
  return Array.isArray(value) && value.every(isCount);
}

export function encodeHardState(group: GroupId, hs: LogHardState): Uint8Array {
  return sealMeta([META_FORMAT, group, hs.term, hs.vote, hs.commit]);
}

export function decodeHardState(group: GroupId, record: Uint8Array): LogHardState {
  const [, , term, vote, commit] = openMeta(group, 'hard state', record);
  if (!isCount(term) || !isCount(vote) || !isCount(commit)) throw new CorruptionError('hard state fields are malformed', { group });
  return { term, vote: vote as NodeId, commit };
}

export function encodeSnapshotMeta(group: GroupId, meta: LogSnapshot['metadata']): Uint8Array {
  const cs = meta.confState;
  return sealMeta([META_FORMAT, group, meta.index, meta.term, cs.voters, cs.learners, cs.votersOutgoing, cs.learnersNext, cs.autoLeave]);
}

export function decodeSnapshotMeta(group: GroupId, record: Uint8Array): LogSnapshot['metadata'] {
  const [, , index, term, voters, learners, votersOutgoing, learnersNext, autoLeave] = openMeta(group, 'snapshot metadata', record);
  if (
    !isCount(index) ||
    !isCount(term) ||
    !isNodeList(voters) ||
    !isNodeList(learners) ||
    !isNodeList(votersOutgoing) ||
    !isNodeList(learnersNext) ||
    typeof autoLeave !== 'boolean'
  ) {
    throw new CorruptionError('snapshot metadata fields are malformed', { group });
  }
  const confState: LogConfState = { voters, learners, votersOutgoing, learnersNext, autoLeave };
  return { index, term, confState };
}
