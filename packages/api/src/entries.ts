/** Store records to wire entries and back. */
import type { KvRecord, WatchEvent } from '@ringkv/multiraft';
import { utf8Length } from '@ringkv/stdx';
import type { WireKey, WireValue } from './wire';
import { base64DecodedLength, keyToWire, valueToWire } from './wire';

export interface WireEntry {
  readonly key: WireKey;
  readonly value: WireValue;
  readonly version: number;
  readonly createRevision: number;
  readonly modRevision: number;
}

export interface WireWatchEvent {
  readonly type: 'put' | 'delete';
  readonly partition: number;
  readonly key: WireKey;
  readonly value?: WireValue;
  readonly version: number;
  readonly modRevision: number;
}

export function entryToWire(key: Uint8Array, record: KvRecord): WireEntry {
  return {
    key: keyToWire(key),
    value: valueToWire(record.value),
    version: record.version,
    createRevision: record.createRevision,
    modRevision: record.modRevision,
  };
}

export function watchEventToWire(event: WatchEvent): WireWatchEvent {
  const out: WireWatchEvent = {
    type: event.type,
    partition: event.partition,
    key: keyToWire(event.key),
    version: event.version,
    modRevision: event.modRevision,
  };
  return event.value === undefined ? out : { ...out, value: valueToWire(event.value) };
}

/**
 * How many bytes of keys and values an entry carries, as the Store counts a value: bytes by their
 * decoded length, strings by their UTF-8 bytes, JSON values by their JSON text's. For answer
 * limits.
 */
export function wireEntryBytes(entry: WireEntry): number {
  const key = typeof entry.key === 'string' ? utf8Length(entry.key) : base64DecodedLength(entry.key.bytes);
  const v = entry.value;
  const value = v.type === 'bytes' ? base64DecodedLength(v.data) : utf8Length(v.type === 'string' ? v.data : JSON.stringify(v.data));
  return key + value;
}
