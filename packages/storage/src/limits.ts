/**
 * Size limits, checked before anything is staged or written. Values are measured the way a
 * client sees them: bytes as their length, strings as UTF-8, other JSON values as their JSON text.
 */
import { utf8Length } from '@ringkv/stdx';
import { LimitError } from './errors';
import type { Value } from './interfaces';
import { KEY_SIZE_BYTES_MAX, VALUE_SIZE_BYTES_MAX } from './interfaces';

/** Client ids name sessions; they are short tokens, not data. */
export const CLIENT_ID_SIZE_BYTES_MAX = 256;
/** A session's stored answer is bounded like a value. */
export const SESSION_ANSWER_SIZE_BYTES_MAX = VALUE_SIZE_BYTES_MAX;
/** Most records one scan returns. */
export const SCAN_LIMIT_MAX = 10_000;
/** Largest partition importPartition holds in memory to swap in atomically. */
export const IMPORT_SIZE_BYTES_MAX = 1024 * 1024 * 1024;
export const EXPORT_CHUNK_SIZE_BYTES_MIN = 1024;
export const EXPORT_CHUNK_SIZE_BYTES_MAX = 64 * 1024 * 1024;

export function valueSizeBytes(value: Value): number {
  if (value instanceof Uint8Array) return value.length;
  if (typeof value === 'string') return utf8Length(value);
  return utf8Length(JSON.stringify(value));
}

export function checkKeySize(key: Uint8Array): void {
  if (key.length > KEY_SIZE_BYTES_MAX) throw new LimitError('key', key.length, KEY_SIZE_BYTES_MAX);
}

export function checkValueSize(value: Value): number {
  const size = valueSizeBytes(value);
  if (size > VALUE_SIZE_BYTES_MAX) throw new LimitError('value', size, VALUE_SIZE_BYTES_MAX);
  return size;
}

export function checkClientId(clientId: string): void {
  const size = utf8Length(clientId);
  if (size > CLIENT_ID_SIZE_BYTES_MAX) throw new LimitError('session client id', size, CLIENT_ID_SIZE_BYTES_MAX);
}
