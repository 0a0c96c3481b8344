/** Store records to wire entries and back. */
import type { KvRecord, WatchEvent } from '@ringkv/multiraft';
import type { WireKey, WireValue } from './wire';
import { keyToWire, valueToWire } from './wire';

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
