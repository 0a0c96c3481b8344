/**
 * The one msgpackr configuration used for everything the Store encodes (commands in the log,
 * session answers, peer frames). Records are off so no encoder state is shared between the node
 * that wrote bytes and the one that reads them (a log entry outlives any process).
 */
import { arrayHeaderSizeBytes, writeArrayHeader } from '@ringkv/storage';
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });

export function pack(value: unknown): Uint8Array {
  return packr.pack(value);
}

/**
 * A msgpack array of values each already packed with pack(): the same bytes pack() gives for the
 * array of those values (its header, then each element's encoding), without packing them again.
 */
export function packedArray(items: readonly Uint8Array[], from = 0, to = items.length): Uint8Array {
  const n = to - from;
  let size = arrayHeaderSizeBytes(n);
  for (let i = from; i < to; i++) size += items[i]!.length;
  const out = new Uint8Array(size);
  let at = writeArrayHeader(out, 0, n);
  for (let i = from; i < to; i++) {
    out.set(items[i]!, at);
    at += items[i]!.length;
  }
  return out;
}

/**
 * Decodes from a throwaway view of `bytes`, never from `bytes` itself: msgpackr caches a DataView
 * on its source as a new property (`source.dataView`), and the bytes decoded here are mostly kept
 * (a log entry's command, kept in the in-memory log and decoded again on every replica). Each then
 * carried a DataView and a property array of its own (37,000 of them on a node's heap in the put
 * bench, promoted with the entry) and had another hidden class than the byte arrays it travels
 * with, which made functions handling log data polymorphic. Store bench, 10 alternating pairs:
 * ~6% less CPU per write (medians 165 vs 178 and 161 vs 172 µs); the cluster bench, 9 pairs, no
 * change beyond its noise. The view is also a plain Uint8Array, so the byte strings decoded from
 * it are too (not Buffers).
 */
export function unpack(bytes: Uint8Array): unknown {
  return packr.unpack(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/**
 * What the checked readers below throw for a decoded value of the wrong shape: peer frames drop
 * the frame on it, the log's commands turn it into a CorruptionError. A TypeError, as a decoder's
 * refusal has always been.
 */
export class DecodeError extends TypeError {}

/** Checks a decoded value is bytes; a Buffer (as other decoders give) becomes a plain Uint8Array view. */
export function asBytes(value: unknown, what?: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new DecodeError(what === undefined ? 'expected bytes' : `${what} is not bytes`);
  return value.constructor === Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/** Whether `value` is a safe integer >= min (what the hand-written encoders take as a count). */
export function isCount(value: unknown, min = 0): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
}

/** Checks a decoded value is a safe integer >= min. */
export function asCount(value: unknown, min: number, what: string): number {
  if (!isCount(value, min)) throw new DecodeError(`${what} is not an integer >= ${min}`);
  return value;
}

/** Checks a decoded value is an array. */
export function asList(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new DecodeError(`${what} is not an array`);
  return value;
}
