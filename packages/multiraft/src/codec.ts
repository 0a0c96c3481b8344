/**
 * The one msgpackr configuration used for everything the Store encodes (commands in the log,
 * session answers, peer frames). Records are off so no encoder state is shared between the node
 * that wrote bytes and the one that reads them (a log entry outlives any process).
 */
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });

export function pack(value: unknown): Uint8Array {
  return packr.pack(value);
}

export function unpack(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}

/** msgpackr returns Buffers; callers of the Store get plain Uint8Array views. */
export function asBytes(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError('expected bytes');
  return value.constructor === Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}
