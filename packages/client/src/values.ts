/**
 * Typed keys and values, and how they travel. A value is a string, bytes or any JSON value; it
 * comes back as the same kind it was written as. Over tRPC (JSON) bytes travel as base64. No
 * node:buffer here: this file runs in the browser too.
 */
import { utf8Decode, utf8Encode } from '@ringkv/stdx';
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

export function encodeValue(value: Value): WireValue {
  if (typeof value === 'string') return { type: 'string', data: value };
  if (value instanceof Uint8Array) return { type: 'bytes', data: toBase64(value) };
  if (value === undefined) throw new RingKVError('BAD_REQUEST', 'a value cannot be undefined');
  return { type: 'json', data: value };
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

export function encodeKey(key: Key): WireKey {
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

const CHUNK = 0x8000;

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

export function fromBase64(text: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new RingKVError('INTERNAL', 'the server sent bytes that are not valid base64');
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
