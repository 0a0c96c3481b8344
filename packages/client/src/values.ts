/**
 * Typed keys and values, and how they travel. A value is a string, bytes or any JSON value; it
 * comes back as the same kind it was written as. Over tRPC (JSON) bytes travel as base64. No
 * node:buffer here: this file runs in the browser too.
 */
import { utf8Decode, utf8Encode, utf8Length } from '@ringkv/stdx';
import { RingKVError } from './errors';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What put() accepts: a string, bytes, or a JSON value (objects, arrays, numbers, ...). */
export type Value = string | Uint8Array | JsonValue;
export type Key = string | Uint8Array;

export type WireValue =
  | { readonly type: 'string'; readonly data: string }
  | { readonly type: 'json'; readonly data: JsonValue }
  | { readonly type: 'bytes'; readonly data: string };

export type WireKey = string | { readonly bytes: string };

/**
 * The server's limits on what one request carries (the api's src/limits.ts; the SDK may import
 * only types from the api, so they are repeated here and a test compares them). The SDK checks
 * them before sending: an oversized request is refused at once with TOO_LARGE, and a message over
 * the server's WebSocket limit (12 MiB) never goes out to close the connection every other call
 * of this client shares.
 */
export const KEY_SIZE_BYTES_MAX = 1024;
export const VALUE_SIZE_BYTES_MAX = 1024 * 1024;
export const BATCH_OPS_MAX = 1000;
export const BATCH_SIZE_BYTES_MAX = 8 * 1024 * 1024;
export const GET_MANY_KEYS_MAX = 1000;
/** The largest message the server takes (its WebSocket and HTTP body limit); larger closes the socket. */
export const REQUEST_BODY_BYTES_MAX = 12 * 1024 * 1024;
/** Room left in a message for tRPC's envelope and the session around a request's input. */
const ENVELOPE_BYTES = 64 * 1024;

/**
 * Refuses an input whose JSON would pass the server's message limit. Cheap unless the estimate
 * (strings counted at their worst, 6 bytes a character) says it might: then its JSON is measured.
 * Only a batch can get there (values are 1 MiB at most); one with many characters JSON escapes.
 */
export function checkRequestSize(what: string, path: string, input: unknown): void {
  const limit = REQUEST_BODY_BYTES_MAX - ENVELOPE_BYTES;
  if (requestBytes(path, input) <= limit) return;
  const bytes = utf8Length(JSON.stringify(input));
  if (bytes > limit) {
    throw new RingKVError('TOO_LARGE', `${what} is ${bytes} bytes as JSON (escaped characters take up to 6 bytes each), over the ${limit} bytes one request may carry; split it`);
  }
}

/** A key's size as the server counts it: a string's UTF-8 bytes, or the bytes. */
export function keySizeBytes(key: Key): number {
  return typeof key === 'string' ? utf8Length(key) : key.length;
}

/** A value's size as the server counts it: bytes, a string's UTF-8, a JSON value's JSON text. */
export function valueSizeBytes(value: Value): number {
  if (typeof value === 'string') return utf8Length(value);
  if (value instanceof Uint8Array) return value.length;
  let text: string | undefined;
  try {
    text = JSON.stringify(value) as string | undefined;
  } catch (error) {
    throw new RingKVError('BAD_REQUEST', `the value cannot be written as JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (text === undefined) throw new RingKVError('BAD_REQUEST', 'a value must be a string, bytes or a JSON value');
  return utf8Length(text);
}

export function encodeValue(value: Value): WireValue {
  return encodeSizedValue(value).wire;
}

/** encodeValue, with the size it measured (a batch sums them; a JSON value is measured once). */
export function encodeSizedValue(value: Value): { readonly wire: WireValue; readonly bytes: number } {
  if (value === undefined) throw new RingKVError('BAD_REQUEST', 'a value cannot be undefined');
  const bytes = valueSizeBytes(value);
  if (bytes > VALUE_SIZE_BYTES_MAX) throw new RingKVError('TOO_LARGE', `value is ${bytes} bytes, over the ${VALUE_SIZE_BYTES_MAX}-byte limit`);
  if (typeof value === 'string') return { wire: { type: 'string', data: value }, bytes };
  if (value instanceof Uint8Array) return { wire: { type: 'bytes', data: toBase64(value) }, bytes };
  return { wire: { type: 'json', data: value }, bytes };
}

export function decodeValue(wire: WireValue): Value {
  switch (wire.type) {
    case 'string':
      return wire.data;
    case 'json':
      return wire.data;
    case 'bytes':
      return fromBase64(wire.data);
    default:
      throw new RingKVError('INTERNAL', `the server sent a value of unknown type ${JSON.stringify(wire)}`);
  }
}

/** A key (or prefix) as it travels; TOO_LARGE over the key limit. */
export function encodeKey(key: Key): WireKey {
  const size = keySizeBytes(key);
  if (size > KEY_SIZE_BYTES_MAX) throw new RingKVError('TOO_LARGE', `key is ${size} bytes, over the ${KEY_SIZE_BYTES_MAX}-byte limit`);
  if (typeof key === 'string') return key;
  return { bytes: toBase64(key) };
}

export function decodeKey(wire: WireKey): Key {
  return typeof wire === 'string' ? wire : fromBase64(wire.bytes);
}

/** The key's bytes, as the ring hashes them (a string key hashes as its UTF-8 bytes). */
export function keyBytes(key: Key): Uint8Array {
  return typeof key === 'string' ? utf8Encode(key) : key;
}

export function keyToString(key: Key): string {
  if (typeof key === 'string') return key;
  try {
    return utf8Decode(key);
  } catch {
    return `0x${Array.from(key, (b) => b.toString(16).padStart(2, '0')).join('')}`;
  }
}

/**
 * Base64 by the fastest codec the runtime has: Uint8Array's own (newer browsers), else Node's
 * Buffer (found on globalThis, not imported: this file runs in the browser too), else btoa/atob
 * with a byte-per-character string. In Node 20 atob is a JavaScript loop: reading 1 MiB values
 * through it cost the SDK ~30 ms of CPU per MiB, most of a large read's time.
 */
export interface Base64Codec {
  readonly name: 'native' | 'buffer' | 'atob';
  encode(bytes: Uint8Array): string;
  /** Throws INTERNAL on text that is not canonical padded base64 (what the server sends). */
  decode(text: string): Uint8Array;
}

/** What pickBase64Codec looks for on globalThis. */
export interface Base64Runtime {
  readonly Buffer?: {
    from(data: ArrayBufferLike, byteOffset: number, length: number): { toString(encoding: 'base64'): string };
    from(text: string, encoding: 'base64'): Uint8Array;
  };
  readonly Uint8Array?: { fromBase64?: (text: string) => Uint8Array; prototype: { toBase64?: () => string } };
}

/** Canonical padded base64; Buffer alone would skip anything else silently. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const CHUNK = 0x8000;

const invalidBase64 = (): RingKVError => new RingKVError('INTERNAL', 'the server sent bytes that are not valid base64');

export function pickBase64Codec(runtime: Base64Runtime): Base64Codec {
  const fromBase64 = runtime.Uint8Array?.fromBase64;
  const toBase64 = runtime.Uint8Array?.prototype.toBase64;
  if (fromBase64 !== undefined && toBase64 !== undefined) {
    return {
      name: 'native',
      encode: (bytes) => toBase64.call(bytes),
      decode: (text) => {
        try {
          return fromBase64(text);
        } catch {
          throw invalidBase64();
        }
      },
    };
  }
  const buffer = runtime.Buffer;
  if (buffer !== undefined) {
    return {
      name: 'buffer',
      encode: (bytes) => buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
      decode: (text) => {
        if (text.length % 4 !== 0 || !BASE64.test(text)) throw invalidBase64();
        const buf = buffer.from(text, 'base64');
        // A plain Uint8Array, the type callers wrote, over memory of its own: a small Buffer is a
        // slice of Node's shared 8 KiB pool, whose other bytes `.buffer` would expose.
        if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength) return new Uint8Array(buf.buffer);
        return new Uint8Array(buf);
      },
    };
  }
  return {
    name: 'atob',
    encode: (bytes) => {
      let binary = '';
      for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
      return btoa(binary);
    },
    decode: (text) => {
      let binary: string;
      try {
        binary = atob(text);
      } catch {
        throw invalidBase64();
      }
      const out = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
      return out;
    },
  };
}

const base64 = pickBase64Codec(globalThis as Base64Runtime);

export function toBase64(bytes: Uint8Array): string {
  return base64.encode(bytes);
}

export function fromBase64(text: string): Uint8Array {
  return base64.decode(text);
}

/** An upper bound of a get's (or a put's, a delete's) JSON size, or undefined when not cheap to tell. */
export function estimatedCallBytes(input: unknown): number | undefined {
  const { key, value } = input as { key?: unknown; value?: unknown };
  let bytes = 256; // the envelope, session and options
  if (typeof key === 'string') bytes += key.length * 6;
  else if (key !== null && typeof key === 'object' && typeof (key as { bytes?: unknown }).bytes === 'string') bytes += (key as { bytes: string }).bytes.length;
  else return undefined;
  if (value !== undefined) {
    const data = (value as { type?: unknown; data?: unknown }).data;
    const type = (value as { type?: unknown }).type;
    if (typeof data !== 'string' || (type !== 'string' && type !== 'bytes')) return undefined;
    // JSON escapes a character in at most 6 bytes (a control character as \u00XX).
    bytes += type === 'string' ? data.length * 6 : data.length;
  }
  return bytes;
}

/** An upper bound of a request's JSON size: the cheap estimate where there is one, else its JSON text. */
export function requestBytes(path: string, input: unknown): number {
  if (path === 'kv.writeBatch' || path === 'kv.getMany') {
    const items = path === 'kv.writeBatch' ? (input as { ops?: unknown }).ops : ((input as { keys?: unknown }).keys as unknown[] | undefined)?.map((key) => ({ key }));
    if (Array.isArray(items)) {
      let sum = 256;
      for (const item of items) {
        const bytes = estimatedCallBytes(item);
        if (bytes === undefined) return jsonBytes(input);
        sum += bytes;
      }
      return sum;
    }
  }
  if (path === 'kv.get' || path === 'kv.put' || path === 'kv.delete') return estimatedCallBytes(input) ?? jsonBytes(input);
  return 4096;
}

function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value) as string | undefined;
  // UTF-16 units: a character outside ASCII takes up to 3 bytes of UTF-8.
  return text === undefined ? 0 : text.length * 3;
}
